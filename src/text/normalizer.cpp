// NFC through ICU, restricted to Unicode 9.0 characters to match the reference's normalization tables.
// Must not contain pre-tokenization or added-token handling.
#include "text/normalizer.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uniset.h>

#include <vector>

#include "base/check.h"
#include "text/utf8.h"

namespace fovea::text {
namespace {

// Unicode version of the NFC data in Hugging Face tokenizers (unicode-normalization-alignments 0.1.12).
constexpr const char* kReferenceNfcCharacters = "[:age=9.0:]";

struct FilteredNfc {
  icu::UnicodeSet characters;
  std::unique_ptr<icu::FilteredNormalizer2> normalizer;
  // [0x10000] 1 where a BMP character can neither change nor combine under NFC (NFC_Quick_Check=Yes and canonical
  // combining class 0, or outside the filter): a run of only those is already normalized.
  std::vector<uint8_t> inert_bmp;
  UErrorCode status = U_ZERO_ERROR;

  FilteredNfc() {
    const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
    if (U_FAILURE(status)) return;
    characters.applyPattern(icu::UnicodeString(kReferenceNfcCharacters, -1, US_INV), status);
    if (U_FAILURE(status)) return;
    characters.freeze();
    normalizer = std::make_unique<icu::FilteredNormalizer2>(*nfc, characters);
    inert_bmp.resize(0x10000);
    for (UChar32 c = 0; c < 0x10000; ++c) {
      bool stable = u_getIntPropertyValue(c, UCHAR_NFC_QUICK_CHECK) == UNORM_YES && u_getCombiningClass(c) == 0;
      inert_bmp[c] = (stable || !characters.contains(c)) ? 1 : 0;
    }
  }
};

const FilteredNfc& filtered_nfc() {
  static const FilteredNfc instance;
  return instance;
}

// True when NFC leaves `text` (valid UTF-8) unchanged because every character is inert.
bool is_inert(const FilteredNfc& nfc, std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    auto lead = static_cast<uint8_t>(text[pos]);
    if (lead < 0x80) {
      ++pos;
      continue;
    }
    if (lead >= 0xF0) return false;  // supplementary characters take the full path
    size_t num_bytes = 0;
    char32_t code_point = decode_utf8_at(text, pos, &num_bytes);
    if (!nfc.inert_bmp[code_point]) return false;
    pos += num_bytes;
  }
  return true;
}

}  // namespace

base::Result<Normalizer> Normalizer::create(Kind kind) {
  Normalizer normalizer;
  normalizer.kind_ = kind;
  if (kind == Kind::kNfc) {
    const FilteredNfc& nfc = filtered_nfc();
    if (!nfc.normalizer) {
      return base::internal_error("ICU's NFC data could not be loaded ({}); check the ICU installation",
                                  u_errorName(nfc.status));
    }
    normalizer.nfc_ = nfc.normalizer.get();
  }
  return normalizer;
}

void Normalizer::normalize(std::string_view text, std::string& out) const {
  if (kind_ == Kind::kNone || is_inert(filtered_nfc(), text)) {
    out.append(text);
    return;
  }
  FOVEA_CHECK(text.size() < (size_t{1} << 31), "normalizer input of {} bytes; callers split text first", text.size());
  icu::StringByteSink<std::string> sink(&out);
  UErrorCode status = U_ZERO_ERROR;
  nfc_->normalizeUTF8(0, icu::StringPiece(text.data(), static_cast<int32_t>(text.size())), sink, nullptr, status);
  FOVEA_CHECK(U_SUCCESS(status), "ICU normalizeUTF8 failed on valid UTF-8: {}", u_errorName(status));
}

}  // namespace fovea::text
