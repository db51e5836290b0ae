/* SPDX-License-Identifier: GPL-2.0-only */
/* Output calls kept for later. While a thread has a stage set, its sk_outfile_write(),
 * sk_outfile_flush(), sk_sink_write() and sk_sink_flush() calls are kept in the stage, in
 * order, instead of made; sk_stage_replay() makes them later, in the same order. At the end of
 * a capture the workers end their next flows at the same time this way, each into its own
 * stage, and write them out in the flows' time order (pipeline.c). */
#ifndef SK_STAGE_H
#define SK_STAGE_H
#include <stdbool.h>
#include <stddef.h>

struct sk_outfile;
struct sk_sink;
struct sk_sink_meta;
struct sk_stage;

/* Returns 0 or SK_E_NOMEM. */
int sk_stage_new(struct sk_stage **out);
void sk_stage_free(struct sk_stage *st);
/* Sets the calling thread's stage; NULL: its calls are made at once again. */
void sk_stage_set(struct sk_stage *st);
/* Makes the first n bytes' worth of the kept calls not made yet (n: a difference of two
 * sk_stage_len() values taken between calls, so whole calls), in the order they were kept.
 * The calling thread must have no stage set. */
void sk_stage_replay(struct sk_stage *st, size_t n);
/* Bytes of the calls kept in st and not made yet. */
size_t sk_stage_len(const struct sk_stage *st);

/* For outfile.c and sink.c: the calling thread's stage (NULL: none), and whether a call was
 * kept in it. A call the stage cannot take (out of memory) is made at once: it may then come
 * out of order, never lost. */
extern _Thread_local struct sk_stage *sk__stage;
bool sk__stage_file_write(struct sk_stage *st, struct sk_outfile *f, const char *buf, size_t len);
bool sk__stage_file_flush(struct sk_stage *st, struct sk_outfile *f);
bool sk__stage_sink_write(struct sk_stage *st, struct sk_sink *s, const char *rec, size_t len,
                          const struct sk_sink_meta *m);
bool sk__stage_sink_flush(struct sk_stage *st, struct sk_sink *s);
#endif
