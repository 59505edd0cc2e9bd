/* First light: the library links and answers. */
#include "check.h"

int main(void) {
    HBLOB b = NULL;
    CHECK_RC(CreateBlob(&b), NMERR_SUCCESS);
    CHECK_RC(SetStringInBlob(b, "NPP", "Config", "BufferSize", "32768"), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(b), NMERR_SUCCESS);
    CHECK_RC(DestroyBlob(b), NMERR_INVALID_BLOB);
    CHECK_STR(nmerr_text(NMERR_NOT_ESP), "NPP connected, but not through IESP::Connect.");
    return check_done("test_smoke");
}
