// Reading a request as Boost.Beast parsed it off the wire into the handlers' Request:
// the framing check against request smuggling, then the method, the request id to log it
// under, the target decoded into path segments and query parameters, the headers and the
// body. The server calls these for every request on its I/O threads; the fuzz targets
// call them on untrusted bytes. Safe from any thread.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

#include "http/message.h"

namespace autoql::http {

using WireRequest = boost::beast::http::request<boost::beast::http::string_body>;

// False when the body's length is open to interpretation: a Transfer-Encoding other than
// exactly one "chunked". Such a request must be refused (400) and the connection closed.
bool hasClearFraming(const WireRequest& message);

// Fills `request` from `message`: the method (kOther for verbs no route uses), its text,
// the raw target, the client's X-Request-Id when it is a reasonable one (1..128
// characters of [A-Za-z0-9._:-]) or a fresh one, then the percent-decoded path segments
// and query parameters, the headers and the body (moved out of `message`). The target
// may be in origin form or, as RFC 9112 3.2.2 asks servers to accept, absolute form.
// Returns false when it is neither; then only the method, its text, the target and the
// request id are filled, and the server answers 400.
bool readRequest(WireRequest& message, Request& request);

// A fresh random request id: 16 lowercase hex digits.
std::string newRequestId();

}  // namespace autoql::http
