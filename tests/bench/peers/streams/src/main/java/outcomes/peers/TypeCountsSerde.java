package outcomes.peers;

import java.nio.ByteBuffer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/** A window's counts by event type (index = EventType number, 0..5) as six
 * big-endian longs. */
final class TypeCountsSerde extends Serdes.WrapperSerde<long[]> {
  static final int TYPES = 6;

  TypeCountsSerde() {
    super((Serializer<long[]>) (topic, counts) -> {
      ByteBuffer buf = ByteBuffer.allocate(8 * TYPES);
      for (long c : counts) {
        buf.putLong(c);
      }
      return buf.array();
    }, (Deserializer<long[]>) (topic, bytes) -> {
      long[] counts = new long[TYPES];
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      for (int i = 0; i < TYPES; i++) {
        counts[i] = buf.getLong();
      }
      return counts;
    });
  }
}
