/* SPDX-License-Identifier: GPL-2.0-only */
/* stub */
int main(void)
{
    return 0;
}
