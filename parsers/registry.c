/* SPDX-License-Identifier: GPL-2.0-only */
/* Lookups over the static field and anomaly tables of fields.h and anomaly.h, for the
 * rule loader and the outputs. */
#include <string.h>
#include <strings.h>

#include "parsers/anomaly.h"
#include "parsers/fields.h"

static const struct sk_field_def field_defs[SK_FIELD_COUNT] = {
#define SK__FIELD_DEF(id, name, kind, doc) {SK_FIELD_##id, name, SK_FIELD_##kind, doc},
    SK_FIELDS(SK__FIELD_DEF)
#undef SK__FIELD_DEF
};

static const char *const anomaly_names[SK_ANOMALY_COUNT] = {
#define SK__ANOM_NAME(id, name, doc) name,
    SK_ANOMALIES(SK__ANOM_NAME)
#undef SK__ANOM_NAME
};

static const char *const anomaly_docs[SK_ANOMALY_COUNT] = {
#define SK__ANOM_DOC(id, name, doc) doc,
    SK_ANOMALIES(SK__ANOM_DOC)
#undef SK__ANOM_DOC
};

const struct sk_field_def *sk_field_def(enum sk_field_id id)
{
    if ((unsigned)id >= SK_FIELD_COUNT)
        return NULL;
    return &field_defs[id];
}

int sk_field_lookup(const char *name)
{
    for (size_t i = 0; i < SK_FIELD_COUNT; i++)
        if (strcmp(field_defs[i].name, name) == 0)
            return (int)i;
    return -1;
}

const char *sk_anomaly_name(enum sk_anomaly_id id)
{
    if ((unsigned)id >= SK_ANOMALY_COUNT)
        return NULL;
    return anomaly_names[id];
}

const char *sk_anomaly_doc(enum sk_anomaly_id id)
{
    if ((unsigned)id >= SK_ANOMALY_COUNT)
        return NULL;
    return anomaly_docs[id];
}

int sk_anomaly_lookup(const char *name)
{
    for (size_t i = 0; i < SK_ANOMALY_COUNT; i++)
        if (strcasecmp(anomaly_names[i], name) == 0)
            return (int)i;
    return -1;
}
