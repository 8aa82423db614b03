#include "daemon/http/http_server.h"

#include <httplib.h>

#include <exception>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/json_log.h"
#include "prometheus/text_serializer.h"

namespace outcomes {

struct HttpServer::Impl {
  httplib::Server server;
  // (method, path) -> handler; ordered so the longest prefix is found last.
  std::map<std::pair<std::string, std::string>, Handler> routes;

  const Handler* Find(const std::string& method, const std::string& path) {
    const Handler* best = nullptr;
    size_t best_length = 0;
    for (const auto& [key, handler] : routes) {
      const auto& [m, p] = key;
      if (m != method) continue;
      const bool match =
          p == path || (p.back() == '/' && absl::StartsWith(path, p));
      if (match && p.size() >= best_length) {
        best = &handler;
        best_length = p.size();
      }
    }
    return best;
  }

  void Dispatch(const httplib::Request& req, httplib::Response& res) {
    const Handler* handler = Find(req.method, req.path);
    HttpResponse out;
    if (handler == nullptr) {
      out = {404, "application/json", "{\"error\":\"not found\"}"};
    } else {
      try {
        out = (*handler)(HttpRequest{req.method, req.path});
      } catch (const std::exception& e) {
        Log(LogLevel::kError, "http handler failed", {{"path", req.path}});
        out = {500, "application/json", "{\"error\":\"internal error\"}"};
      }
    }
    res.status = out.status;
    res.set_content(out.body, out.content_type.c_str());
  }
};

HttpServer::HttpServer() : impl_(std::make_unique<Impl>()) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Route(const std::string& method, const std::string& path,
                       Handler handler) {
  impl_->routes[{method, path}] = std::move(handler);
}

absl::Status HttpServer::Start(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen must be HOST:PORT, got '", listen, "'"));
  }
  const std::string host = listen.substr(0, colon);
  // Dispatch before httplib reads a request body: our routes take none, and a
  // bodiless POST without Content-Length (curl -X POST) would otherwise make
  // httplib wait for the connection to close.
  impl_->server.set_pre_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) {
        impl_->Dispatch(req, res);
        return httplib::Server::HandlerResponse::Handled;
      });
  if (port == 0) {
    port_ = impl_->server.bind_to_any_port(host);
  } else {
    port_ = impl_->server.bind_to_port(host, port) ? port : -1;
  }
  if (port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen));
  }
  thread_ = std::thread([this] { impl_->server.listen_after_bind(); });
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  impl_->server.stop();
  thread_.join();
}

std::string RenderMetrics(prometheus::Registry& registry) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry.Collect());
  return out.str();
}

}  // namespace outcomes
