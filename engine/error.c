/* SPDX-License-Identifier: GPL-2.0-only */
/* Names for the SK_E_* codes of error.h. */
#include "engine/error.h"

const char *sk_strerror(int err)
{
    switch (err) {
#define SK__ERR_CASE(name, code, text)                                                             \
    case (code):                                                                                   \
        return text;
        SK_ERRORS(SK__ERR_CASE)
#undef SK__ERR_CASE
    }
    return "unknown error";
}
