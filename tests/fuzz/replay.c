/* SPDX-License-Identifier: GPL-2.0-only */
/* A main for a fuzz target without libFuzzer: runs LLVMFuzzerTestOneInput on saved inputs,
 * so that `make check` (any compiler, and under ASan in the sanitizer build) replays every
 * crash and leak ever found. Without arguments it replays the target's folders,
 * tests/fuzz/regressions/NAME and tests/fuzz/seeds/NAME (SK_FUZZ_NAME, set by Makefile.am);
 * with arguments, the files and folders given (to debug an input with gdb or valgrind). A
 * finding aborts, so the test fails. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz_common.h"

/* Defined by the targets that need one-time set-up. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static size_t replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;
    if (!f) {
        perror(path);
        exit(1);
    }
    do {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                perror(path);
                exit(1);
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 1;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* A file, or every file of a folder in name order; a missing folder holds nothing. */
static size_t replay_path(const char *path)
{
    struct stat st;
    struct dirent **names;
    size_t count = 0;
    if (stat(path, &st) < 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return replay_file(path);
    int n = scandir(path, &names, NULL, by_name);
    for (int i = 0; i < n; i++) {
        char sub[4096];
        if (names[i]->d_name[0] != '.') {
            snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
            count += replay_path(sub);
        }
        free(names[i]);
    }
    if (n >= 0)
        free(names);
    return count;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            count += replay_path(argv[i]);
    } else {
        count += replay_path(SK_FUZZ_DIR "/regressions/" SK_FUZZ_NAME);
        count += replay_path(SK_FUZZ_DIR "/seeds/" SK_FUZZ_NAME);
    }
    printf("%s: %zu inputs replayed, no finding\n", argv[0], count);
    return 0;
}
