package outcomes.peers;

import com.google.protobuf.InvalidProtocolBufferException;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import outcomes.v1.Event.ServiceEvent;

/**
 * Decodes a binary ServiceEvent and stamps the record with its occurred_at
 * (event time, for the daily windows). An undecodable value is counted as
 * processed and dropped.
 */
final class ParseProcessor implements FixedKeyProcessor<byte[], byte[], ServiceEvent> {
  private FixedKeyProcessorContext<byte[], ServiceEvent> context;

  @Override
  public void init(FixedKeyProcessorContext<byte[], ServiceEvent> context) {
    this.context = context;
  }

  @Override
  public void process(FixedKeyRecord<byte[], byte[]> record) {
    ServiceEvent event;
    try {
      event = ServiceEvent.parseFrom(record.value());
    } catch (InvalidProtocolBufferException e) {
      StreamsPeer.countProcessed();
      return;
    }
    long millis = event.getOccurredAt().getSeconds() * 1000L;
    context.forward(record.withValue(event).withTimestamp(millis));
  }
}
