package outcomes.peers;

import com.google.protobuf.InvalidProtocolBufferException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import outcomes.v1.Event.ServiceEvent;

/** ServiceEvent as its binary protobuf (declared for groupByKey; the
 * topology does not repartition, so it is not expected to run). */
final class EventSerde extends Serdes.WrapperSerde<ServiceEvent> {
  EventSerde() {
    super((Serializer<ServiceEvent>) (topic, event) -> event.toByteArray(),
        (Deserializer<ServiceEvent>) (topic, bytes) -> {
          try {
            return ServiceEvent.parseFrom(bytes);
          } catch (InvalidProtocolBufferException e) {
            throw new SerializationException(e);
          }
        });
  }
}
