// Minimal little-endian binary writer/reader for checkpoints: varints,
// zigzag varints, fixed64 and length-prefixed strings. A reader never reads
// past its input; after any failed read ok() stays false.
//
// Thread safety: none.
#ifndef OUTCOMESD_DAEMON_STATE_BYTE_CODEC_H_
#define OUTCOMESD_DAEMON_STATE_BYTE_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace outcomes {

class ByteWriter {
 public:
  // Appends to *out, which must outlive the writer.
  explicit ByteWriter(std::string* out) : out_(out) {}
  void Varint(uint64_t v);
  void Signed(int64_t v) {
    Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void Fixed64(uint64_t v);
  void String(std::string_view s);

 private:
  std::string* out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  uint64_t Varint();
  int64_t Signed() {
    const uint64_t v = Varint();
    return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  uint64_t Fixed64();
  std::string_view String();
  // A count of items that each take at least one byte: fails when larger
  // than the bytes left, so corrupt input cannot trigger huge allocations.
  uint64_t Count();

  bool ok() const { return ok_; }
  bool done() const { return ok_ && in_.empty(); }

 private:
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_BYTE_CODEC_H_
