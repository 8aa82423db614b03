// Routes libprotobuf's own log messages (e.g. "String field ... contains
// invalid UTF-8 data when parsing a protocol buffer", printed for hostile
// events) into the JSON log instead of plain-text lines on stderr, and
// counts nothing: the event that caused one is rejected and counted by the
// decoder. At most one line per message text per minute, so hostile input
// cannot flood the log.
//
// Thread safety: call once at start-up, before other threads use protobuf.
#ifndef OUTCOMESD_DAEMON_BASE_PROTOBUF_LOG_H_
#define OUTCOMESD_DAEMON_BASE_PROTOBUF_LOG_H_

namespace outcomes {

void RouteProtobufLogsToJson();

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BASE_PROTOBUF_LOG_H_
