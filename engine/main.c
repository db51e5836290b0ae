/* SPDX-License-Identifier: GPL-2.0-only */
/* The shrike command line: the only place that may exit. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "-V") == 0) {
        printf("shrike %s\n", PACKAGE_VERSION);
        return 0;
    }
    fprintf(stderr, "usage: shrike -r FILE\n");
    return 1;
}
