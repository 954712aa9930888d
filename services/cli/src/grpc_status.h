// grpc::Status → absl::Status for the `dyad` command's clients.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"

namespace dyad::cli {

// The same code; the message prefixed with "`what`: " when `what` is not empty.
inline absl::Status FromGrpc(const grpc::Status& status, const std::string& what = "") {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      what.empty() ? status.error_message() : what + ": " + status.error_message());
}

}  // namespace dyad::cli
