#include "daemon/http/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <iterator>
#include <map>
#include <optional>
#include <utility>

#include "absl/base/macros.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/base/json_log.h"
#include "daemon/http/connection_reaper.h"
#include "daemon/http/listen_socket.h"
#include "daemon/http/metrics_text.h"
#include "daemon/http/worker_pool.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"

namespace outcomes {
namespace {

constexpr int kListenBacklog = 512;

// One request in flight (libmicrohttpd's per-request `con_cls`).
struct Exchange {
  HttpRequest request;
  ConnectionReaper::ConnectionId connection = 0;
  size_t body_bytes = 0;
  bool answered = false;                 // a response is queued
  std::optional<HttpResponse> response;  // set by a worker, then resumed
};

std::string Header(MHD_Connection* c, const char* name) {
  const char* v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
  return v == nullptr ? "" : v;
}

MHD_Result AddQueryArgument(void* cls, MHD_ValueKind, const char* key,
                            const char* value) {
  auto* query = static_cast<std::map<std::string, std::string>*>(cls);
  if (key != nullptr) (*query)[key] = value == nullptr ? "" : value;
  return MHD_YES;
}

bool PeerIsLoopback(MHD_Connection* c) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return false;
  const sockaddr* addr = info->client_addr;
  if (addr->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(addr);
    return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
  }
  if (addr->sa_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(&a) ||
           (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
  }
  return false;
}

// libmicrohttpd's messages, as JSON log lines; one per format per 10 s so
// a flood of refused connections cannot flood the log.
void LogLibraryMessage(void*, const char* format, va_list args) {
  if (!LogDue(format, absl::Seconds(10))) return;
  char text[512];
  std::vsnprintf(text, sizeof(text), format, args);
  std::string msg(text);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
    msg.pop_back();
  }
  Log(LogLevel::kInfo, "http server", {{"detail", msg}});
}

}  // namespace

struct HttpServer::Impl {
  Impl(HttpServerSettings s, prometheus::Registry* registry);

  HttpServerSettings settings;
  HttpRouter router;
  prometheus::Family<prometheus::Counter>* requests = nullptr;
  prometheus::Gauge* connections = nullptr;
  prometheus::Counter* timeouts = nullptr;
  ConnectionReaper reaper;
  WorkerPool workers;
  MHD_Daemon* daemon = nullptr;

  MHD_Result OnRequest(MHD_Connection* c, const char* url, const char* method,
                       size_t* upload_size, void** con_cls);
  Exchange* Begin(MHD_Connection* c, const char* url, const char* method);
  MHD_Result Answer(MHD_Connection* c, Exchange& ex, const HttpResponse& r);
  MHD_Result Dispatch(MHD_Connection* c, Exchange& ex);
  void OnConnection(MHD_Connection* c, void** context,
                    MHD_ConnectionNotificationCode code);

  // libmicrohttpd's callbacks; `cls` is the Impl.
  static MHD_Result OnRequestThunk(void* cls, MHD_Connection* c,
                                   const char* url, const char* method,
                                   const char* version, const char* upload,
                                   size_t* upload_size, void** con_cls);
  static void OnCompletedThunk(void* cls, MHD_Connection* c, void** con_cls,
                               MHD_RequestTerminationCode code);
  static void OnConnectionThunk(void* cls, MHD_Connection* c, void** context,
                                MHD_ConnectionNotificationCode code);
};

HttpServer::Impl::Impl(HttpServerSettings s, prometheus::Registry* registry)
    : settings(s),
      reaper(RealClock(), s.request_timeout,
             [this] {
               if (timeouts != nullptr) timeouts->Increment();
             }),
      workers(s.worker_threads, s.max_queued) {
  if (registry == nullptr) return;
  requests = &prometheus::BuildCounter()
                  .Name("outcomes_http_requests_total")
                  .Help("HTTP requests answered, by status code.")
                  .Register(*registry);
  connections = &prometheus::BuildGauge()
                     .Name("outcomes_http_connections")
                     .Help("Open HTTP connections.")
                     .Register(*registry)
                     .Add({});
  timeouts = &prometheus::BuildCounter()
                  .Name("outcomes_http_timeouts_total")
                  .Help(
                      "HTTP connections closed for exceeding "
                      "--http.request_timeout.")
                  .Register(*registry)
                  .Add({});
}

Exchange* HttpServer::Impl::Begin(MHD_Connection* c, const char* url,
                                  const char* method) {
  auto* ex = new Exchange;
  ex->request = HttpRequest{method,
                            url,
                            PeerIsLoopback(c),
                            Header(c, "Host"),
                            Header(c, "Authorization"),
                            Header(c, "Origin"),
                            Header(c, "Sec-Fetch-Site"),
                            {}};
  MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, AddQueryArgument,
                            &ex->request.query);
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  if (info != nullptr && info->socket_context != nullptr) {
    ex->connection =
        *static_cast<ConnectionReaper::ConnectionId*>(info->socket_context);
  }
  return ex;
}

MHD_Result HttpServer::Impl::OnRequest(MHD_Connection* c, const char* url,
                                       const char* method, size_t* upload_size,
                                       void** con_cls) {
  auto* ex = static_cast<Exchange*>(*con_cls);
  if (ex == nullptr) {  // headers read; the body (if any) follows
    *con_cls = ex = Begin(c, url, method);
    size_t declared = 0;
    if (absl::SimpleAtoi(Header(c, "Content-Length"), &declared) &&
        declared > settings.max_body_bytes) {
      return Answer(c, *ex, JsonError(413, "request body too large"));
    }
    return MHD_YES;
  }
  if (*upload_size != 0) {  // bodies are read and dropped, up to the limit
    ex->body_bytes += *upload_size;
    *upload_size = 0;
    if (ex->body_bytes > settings.max_body_bytes && !ex->answered) {
      return Answer(c, *ex, JsonError(413, "request body too large"));
    }
    return MHD_YES;
  }
  if (ex->answered) return MHD_YES;
  if (ex->response) return Answer(c, *ex, *ex->response);  // resumed
  if (router.OptionsFor(ex->request).inline_handler) {
    return Answer(c, *ex, router.Handle(ex->request));
  }
  return Dispatch(c, *ex);
}

// Suspends the connection and lets a worker compute the answer; the worker
// resumes it and OnRequest() queues the answer.
MHD_Result HttpServer::Impl::Dispatch(MHD_Connection* c, Exchange& ex) {
  reaper.SetBusy(ex.connection, true);
  MHD_suspend_connection(c);
  Exchange* e = &ex;
  const bool queued = workers.Submit([this, c, e] {
    e->response = router.Handle(e->request);
    reaper.SetBusy(e->connection, false);
    MHD_resume_connection(c);
  });
  if (!queued) {
    e->response = JsonError(503, "server busy");
    e->response->headers.emplace_back("Retry-After", "1");
    reaper.SetBusy(e->connection, false);
    MHD_resume_connection(c);
  }
  return MHD_YES;
}

MHD_Result HttpServer::Impl::Answer(MHD_Connection* c, Exchange& ex,
                                    const HttpResponse& r) {
  ex.answered = true;
  MHD_Response* response = MHD_create_response_from_buffer(
      r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, "Content-Type", r.content_type.c_str());
  MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(response, "Cache-Control", "no-store");
  for (const auto& [name, value] : r.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  const MHD_Result queued =
      MHD_queue_response(c, static_cast<unsigned>(r.status), response);
  MHD_destroy_response(response);
  if (requests != nullptr) {
    requests->Add({{"code", std::to_string(r.status)}}).Increment();
  }
  return queued;
}

void HttpServer::Impl::OnConnection(MHD_Connection* c, void** context,
                                    MHD_ConnectionNotificationCode code) {
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    *context = new ConnectionReaper::ConnectionId(
        reaper.Add(info == nullptr ? -1 : info->connect_fd));
    if (connections != nullptr) connections->Increment();
    return;
  }
  auto* id = static_cast<ConnectionReaper::ConnectionId*>(*context);
  if (id == nullptr) return;
  reaper.Remove(*id);
  delete id;
  *context = nullptr;
  if (connections != nullptr) connections->Decrement();
}

MHD_Result HttpServer::Impl::OnRequestThunk(void* cls, MHD_Connection* c,
                                            const char* url, const char* method,
                                            const char*, const char*,
                                            size_t* upload_size,
                                            void** con_cls) {
  return static_cast<Impl*>(cls)->OnRequest(c, url, method, upload_size,
                                            con_cls);
}

void HttpServer::Impl::OnCompletedThunk(void* cls, MHD_Connection*,
                                        void** con_cls,
                                        MHD_RequestTerminationCode) {
  auto* ex = static_cast<Exchange*>(*con_cls);
  if (ex == nullptr) return;
  static_cast<Impl*>(cls)->reaper.Restart(ex->connection);
  delete ex;
  *con_cls = nullptr;
}

void HttpServer::Impl::OnConnectionThunk(void* cls, MHD_Connection* c,
                                         void** context,
                                         MHD_ConnectionNotificationCode code) {
  static_cast<Impl*>(cls)->OnConnection(c, context, code);
}

HttpServer::HttpServer(HttpServerSettings settings,
                       prometheus::Registry* registry)
    : impl_(std::make_unique<Impl>(settings, registry)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Route(const std::string& method, const std::string& path,
                       Handler handler, RouteOptions options) {
  impl_->router.Route(method, path, std::move(handler), options);
}

void HttpServer::SetAdminGuard(AdminGuard guard) {
  impl_->router.SetAdminGuard(std::move(guard));
}

absl::Status HttpServer::Bind(const std::string& listen) {
  ABSL_ASSERT(listen_fd_ < 0 && impl_->daemon == nullptr);
  absl::StatusOr<ListenAddress> address = ParseListenAddress(listen);
  if (!address.ok()) return address.status();
  absl::StatusOr<int> fd = OpenListenSocket(*address, kListenBacklog);
  if (!fd.ok()) return fd.status();
  listen_fd_ = *fd;
  port_ = BoundPort(listen_fd_);
  return absl::OkStatus();
}

absl::Status HttpServer::Start(const std::string& listen) {
  if (absl::Status s = Bind(listen); !s.ok()) return s;
  return Start();
}

absl::Status HttpServer::Start() {
  ABSL_ASSERT(listen_fd_ >= 0 && impl_->daemon == nullptr);
  const int fd = std::exchange(listen_fd_, -1);
  const HttpServerSettings& s = impl_->settings;
  // libmicrohttpd's inactivity timeout is only a backstop, a second past
  // the reaper's deadline, so the reaper closes (and counts) first.
  const unsigned timeout_seconds = static_cast<unsigned>(absl::ToInt64Seconds(
      absl::Ceil(s.request_timeout, absl::Seconds(1)) + absl::Seconds(1)));
  impl_->daemon = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
          MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
      0, nullptr, nullptr, &Impl::OnRequestThunk, impl_.get(),
      MHD_OPTION_EXTERNAL_LOGGER, &LogLibraryMessage, nullptr,  // first
      MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
      static_cast<unsigned>(s.max_connections), MHD_OPTION_CONNECTION_TIMEOUT,
      timeout_seconds, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      static_cast<size_t>(s.max_header_bytes * 2), MHD_OPTION_NOTIFY_COMPLETED,
      &Impl::OnCompletedThunk, impl_.get(), MHD_OPTION_NOTIFY_CONNECTION,
      &Impl::OnConnectionThunk, impl_.get(), MHD_OPTION_END);
  if (impl_->daemon == nullptr) {
    close(fd);
    return absl::InternalError("cannot start the HTTP server");
  }
  impl_->reaper.Start(std::min(absl::Milliseconds(250), s.request_timeout / 4));
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (listen_fd_ >= 0) close(std::exchange(listen_fd_, -1));
  if (impl_->daemon == nullptr) return;
  impl_->workers.Stop();  // answers what is queued and resumes it
  impl_->reaper.Stop();
  MHD_stop_daemon(impl_->daemon);
  impl_->daemon = nullptr;
}

std::string RenderMetrics(prometheus::Registry& registry) {
  return RenderMetrics({&registry});
}

std::string RenderMetrics(
    const std::vector<const prometheus::Collectable*>& sources) {
  std::vector<prometheus::MetricFamily> families;
  for (const prometheus::Collectable* source : sources) {
    std::vector<prometheus::MetricFamily> f = source->Collect();
    families.insert(families.end(), std::make_move_iterator(f.begin()),
                    std::make_move_iterator(f.end()));
  }
  // One buffer of about the previous scrape's size: the text of thousands
  // of providers is tens of MiB, and growing it by doubling copied it over
  // and over.
  static std::atomic<size_t> last_size{0};
  std::string text;
  text.reserve(last_size.load() / 8 * 9 + 4096);
  AppendMetricsText(families, text);
  last_size.store(text.size());
  return text;
}

}  // namespace outcomes
