package outcomes.peers;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import outcomes.v1.Event.ServiceEvent;

/**
 * The Kafka Streams peer of outcomesd (issue 11, "Peers side by side"): reads
 * the binary ServiceEvents of a topic (keyed by provider) and computes
 *
 * <ul>
 *   <li>per provider, daily tumbling windows (event time = occurred_at) of
 *       event counts by type: a windowed aggregate, RocksDB window store;
 *   <li>the referral -> enrollment join per provider+program+client (an
 *       enrollment within 14 days after the referral counts once per
 *       provider+program): a processor with two RocksDB key-value stores.
 * </ul>
 *
 * Both stay on the input's partitioning (key = provider), so nothing is
 * repartitioned. Stops once it has processed N events and prints one JSON
 * line to stdout: {"events", "seconds_total" (main() to N),
 * "seconds_consume" (first event to N), "events_per_s",
 * "events_per_s_consume", "conversions"}.
 *
 * <p>Usage: StreamsPeer BOOTSTRAP TOPIC APPLICATION_ID STATE_DIR N
 * [THREADS] [TIMEOUT_S]
 */
public final class StreamsPeer {
  static final String DAILY_COUNTS = "daily-counts";
  static final AtomicLong processed = new AtomicLong();
  static final AtomicLong conversions = new AtomicLong();
  static volatile long firstEventNanos = 0;
  static long target;
  static final CountDownLatch done = new CountDownLatch(1);

  private StreamsPeer() {}

  /** Called once per event by the join processor (every event passes it). */
  static void countProcessed() {
    long n = processed.incrementAndGet();
    if (n == 1) {
      firstEventNanos = System.nanoTime();
    }
    if (n == target) {
      done.countDown();
    }
  }

  static Topology topology(String topic) {
    StreamsBuilder builder = new StreamsBuilder();
    // Record caches on, as the DSL's own stores have them: repeated
    // updates of a key reach RocksDB and the changelog once per flush.
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(JoinProcessor.REFERRALS),
        Serdes.String(), Serdes.Long()).withCachingEnabled());
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(JoinProcessor.CONVERSIONS),
        Serdes.String(), Serdes.Long()).withCachingEnabled());
    KStream<byte[], ServiceEvent> events =
        builder.stream(topic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
            .processValues(ParseProcessor::new);
    // Grace: the whole history, so no late event is dropped (outcomesd
    // counts every event whatever its age).
    events.groupByKey(Grouped.with(Serdes.ByteArray(), new EventSerde()))
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofDays(1), Duration.ofDays(400)))
        .aggregate(() -> new long[TypeCountsSerde.TYPES],
            (provider, event, counts) -> {
              counts[Math.min(event.getTypeValue(), TypeCountsSerde.TYPES - 1)]++;
              return counts;
            },
            Materialized.<byte[], long[], WindowStore<Bytes, byte[]>>as(DAILY_COUNTS)
                .withKeySerde(Serdes.ByteArray())
                .withValueSerde(new TypeCountsSerde()));
    events.process(JoinProcessor::new, JoinProcessor.REFERRALS, JoinProcessor.CONVERSIONS);
    return builder.build();
  }

  public static void main(String[] args) throws InterruptedException {
    long startNanos = System.nanoTime();
    if (args.length < 5) {
      System.err.println("usage: StreamsPeer BOOTSTRAP TOPIC APPLICATION_ID STATE_DIR N"
          + " [THREADS] [TIMEOUT_S]");
      System.exit(2);
    }
    target = Long.parseLong(args[4]);
    int threads = args.length > 5 ? Integer.parseInt(args[5]) : 1;
    long timeoutS = args.length > 6 ? Long.parseLong(args[6]) : 600;
    Properties props = new Properties();
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[2]);
    props.put(StreamsConfig.STATE_DIR_CONFIG, args[3]);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    KafkaStreams streams = new KafkaStreams(topology(args[1]), props);
    streams.setUncaughtExceptionHandler(e -> {
      e.printStackTrace();
      Runtime.getRuntime().halt(3);
      return null;
    });
    streams.start();
    // Progress to stderr every 5 s (the bench keeps it in the peer's log).
    long deadline = startNanos + TimeUnit.SECONDS.toNanos(timeoutS);
    boolean reached = false;
    while (!reached && System.nanoTime() < deadline) {
      reached = done.await(Math.min(5_000_000_000L, Math.max(1, deadline - System.nanoTime())),
          TimeUnit.NANOSECONDS);
      System.err.printf("%.1f s: %d events processed, state %s%n",
          (System.nanoTime() - startNanos) / 1e9, processed.get(), streams.state());
    }
    long endNanos = System.nanoTime();
    if (!reached) {
      System.err.printf("processed %d of %d events in %d s%n", processed.get(), target, timeoutS);
      Runtime.getRuntime().halt(1);
    }
    double total = (endNanos - startNanos) / 1e9;
    double consume = (endNanos - firstEventNanos) / 1e9;
    System.out.printf("{\"events\": %d, \"seconds_total\": %.4f, \"seconds_consume\": %.4f, "
            + "\"events_per_s\": %.1f, \"events_per_s_consume\": %.1f, \"conversions\": %d}%n",
        target, total, consume, target / total, target / consume, conversions.get());
    System.out.flush();
    streams.close(Duration.ofSeconds(30));
    // The figure is printed: stop without waiting for anything else.
    Runtime.getRuntime().halt(0);
  }
}
