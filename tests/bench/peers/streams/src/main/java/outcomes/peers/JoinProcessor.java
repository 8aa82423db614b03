package outcomes.peers;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import outcomes.v1.Event.EventType;
import outcomes.v1.Event.ServiceEvent;

/**
 * The referral -> enrollment join per provider+program+client: a referral
 * is kept (latest one wins) until an enrollment of the same client in the
 * same provider+program arrives; one within 14 days of it adds 1 to the
 * provider+program's conversions and consumes the referral. Counts every
 * event it sees as processed.
 */
final class JoinProcessor implements Processor<byte[], ServiceEvent, Void, Void> {
  static final String REFERRALS = "referrals";
  static final String CONVERSIONS = "conversions";
  static final long WINDOW_SECONDS = 14L * 86400;

  private KeyValueStore<String, Long> referrals;
  private KeyValueStore<String, Long> conversions;

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    referrals = context.getStateStore(REFERRALS);
    conversions = context.getStateStore(CONVERSIONS);
  }

  @Override
  public void process(Record<byte[], ServiceEvent> record) {
    ServiceEvent e = record.value();
    EventType type = e.getType();
    if (type == EventType.EVENT_TYPE_REFERRAL || type == EventType.EVENT_TYPE_ENROLLMENT) {
      String program = e.getProviderId() + '\u0000' + e.getProgramId();
      String client = program + '\u0000' + e.getClientKey();
      long at = e.getOccurredAt().getSeconds();
      if (type == EventType.EVENT_TYPE_REFERRAL) {
        referrals.put(client, at);
      } else {
        Long referred = referrals.get(client);
        if (referred != null && at >= referred && at - referred <= WINDOW_SECONDS) {
          referrals.delete(client);
          Long n = conversions.get(program);
          conversions.put(program, n == null ? 1L : n + 1);
          StreamsPeer.conversions.incrementAndGet();
        }
      }
    }
    StreamsPeer.countProcessed();
  }
}
