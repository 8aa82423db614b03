#include "daemon/state/byte_codec.h"

namespace outcomes {

void ByteWriter::Varint(uint64_t v) {
  while (v >= 0x80) {
    out_->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<char>(v));
}

void ByteWriter::Fixed64(uint64_t v) {
  for (int i = 0; i < 8; ++i) out_->push_back(static_cast<char>(v >> (8 * i)));
}

void ByteWriter::String(std::string_view s) {
  Varint(s.size());
  out_->append(s.data(), s.size());
}

uint64_t ByteReader::Varint() {
  uint64_t v = 0;
  for (int shift = 0; ok_ && shift < 64; shift += 7) {
    if (in_.empty()) break;
    const auto byte = static_cast<unsigned char>(in_.front());
    in_.remove_prefix(1);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return v;
  }
  ok_ = false;
  return 0;
}

uint64_t ByteReader::Fixed64() {
  if (!ok_ || in_.size() < 8) {
    ok_ = false;
    return 0;
  }
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(in_[i])) << (8 * i);
  }
  in_.remove_prefix(8);
  return v;
}

std::string_view ByteReader::String() {
  const uint64_t n = Varint();
  if (!ok_ || n > in_.size()) {
    ok_ = false;
    return {};
  }
  std::string_view s = in_.substr(0, n);
  in_.remove_prefix(n);
  return s;
}

uint64_t ByteReader::Count() {
  const uint64_t n = Varint();
  if (!ok_ || n > in_.size()) {
    ok_ = false;
    return 0;
  }
  return n;
}

}  // namespace outcomes
