// What both engines' reads of one row return when it is absent, and the step that turns
// such a read into its result.
#pragma once

#include <optional>
#include <utility>

#include "util/result.h"

namespace autoql::storage {

inline Error notFound() {
  return {Errc::kNotFound, "no such row"};
}

// What a read that looks for one row returns: its failure, else kNotFound when it found
// none, else the row.
template <class Row>
Result<Row> foundRow(const Result<void>& read, std::optional<Row>& row) {
  if (!read) {
    return read.error();
  }
  if (!row) {
    return notFound();
  }
  return std::move(*row);
}

}  // namespace autoql::storage
