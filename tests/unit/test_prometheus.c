/*  test_prometheus - sq_prometheus against the rules of text format 0.0.4

    A strict parser here reads the writer's text back: every line is a
    `# HELP`, a `# TYPE` or a sample of the family last typed; names and
    label names have the format's syntax; label values use only the
    three escapes; the text is UTF-8; families appear once and whole;
    histogram buckets have ascending le bounds, cumulative counts and a
    final +Inf equal to _count. It decodes every sample so the tests can
    compare values and unescaped labels with what they wrote. Exact
    expected text pins the layout of a small exposition.
*/
#include "squall.h"
#include "sq_error.h"
#include "sq_prometheus.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SAMPLES 256 //  samples the parser keeps
#define MAX_LABELS 8    //  labels per sample it keeps
#define MAX_TEXT 256    //  bytes of a name or decoded label value it keeps

typedef struct {
    char name[MAX_TEXT];                    //  sample name
    char label_names[MAX_LABELS][MAX_TEXT]; //  its label names
    char values[MAX_LABELS][MAX_TEXT];      //  their decoded values
    int labels;                             //  number of labels
    double value;                           //  sample value
} sample_t;

typedef struct {
    sample_t samples[MAX_SAMPLES]; //  every sample, in order
    int count;                     //  their number
    char error[256];               //  first rule broken, or empty
} parsed_t;

static parsed_t s_parsed;

static bool
s_fail (const char *what, const char *line)
{
    if (!s_parsed.error[0])
        snprintf (s_parsed.error, sizeof s_parsed.error, "%s in: %.120s", what, line);
    return false;
}

static bool
s_is_name (const char *name, size_t length, bool metric)
{
    if (length == 0 || length >= MAX_TEXT)
        return false;
    for (size_t at = 0; at < length; at++) {
        char c = name[at];
        bool letter =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':');
        if (!letter && !(at > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

//  A float as Prometheus reads it: Go's ParseFloat, plus +Inf/-Inf/NaN.
static bool
s_parse_value (const char *text, double *value)
{
    if (strcmp (text, "+Inf") == 0 || strcmp (text, "-Inf") == 0 || strcmp (text, "NaN") == 0) {
        *value = strcmp (text, "NaN") == 0 ? NAN : text[0] == '+' ? INFINITY : -INFINITY;
        return true;
    }
    for (const char *at = text; *at; at++)
        if (!strchr ("0123456789.eE+-", *at))
            return false;
    char *end;
    *value = strtod (text, &end);
    return *text && *end == 0;
}

//  Is text valid UTF-8 (length bytes)?
static bool
s_is_utf8 (const unsigned char *text, size_t length)
{
    for (size_t at = 0; at < length;) {
        unsigned char lead = text[at];
        size_t more = lead < 0x80                    ? 0
                      : lead >= 0xc2 && lead <= 0xdf ? 1
                      : lead >= 0xe0 && lead <= 0xef ? 2
                      : lead >= 0xf0 && lead <= 0xf4 ? 3
                                                     : 9;
        if (more == 9 || at + more >= length + (more ? 0 : 1))
            return false;
        for (size_t next = 1; next <= more; next++)
            if ((text[at + next] & 0xc0) != 0x80)
                return false;
        at += more + 1;
    }
    return true;
}

//  One sample line into sample; false on any rule broken.
static bool
s_parse_sample (const char *line, sample_t *sample)
{
    const char *at = line;
    while (*at && *at != '{' && *at != ' ')
        at++;
    if (!s_is_name (line, (size_t) (at - line), true))
        return s_fail ("bad metric name", line);
    memcpy (sample->name, line, (size_t) (at - line));
    sample->name[at - line] = 0;
    sample->labels = 0;
    if (*at == '{') {
        at++;
        while (*at != '}') {
            const char *name = at;
            while (*at && *at != '=')
                at++;
            if (!s_is_name (name, (size_t) (at - name), false) || at[1] != '"' ||
                sample->labels == MAX_LABELS)
                return s_fail ("bad label", line);
            int label = sample->labels++;
            memcpy (sample->label_names[label], name, (size_t) (at - name));
            sample->label_names[label][at - name] = 0;
            for (int before = 0; before < label; before++)
                if (strcmp (sample->label_names[before], sample->label_names[label]) == 0)
                    return s_fail ("label twice", line);
            at += 2;
            size_t out = 0;
            while (*at != '"') {
                char c = *at++;
                if (c == 0 || c == '\n')
                    return s_fail ("unterminated label value", line);
                if (c == '\\') {
                    char escape = *at++;
                    c = escape == '\\' ? '\\' : escape == '"' ? '"' : escape == 'n' ? '\n' : 0;
                    if (!c)
                        return s_fail ("bad escape", line);
                }
                if (out + 1 >= MAX_TEXT)
                    return s_fail ("label value too long for the test", line);
                sample->values[label][out++] = c;
            }
            sample->values[label][out] = 0;
            at++;
            if (*at == ',')
                at++;
            else if (*at != '}')
                return s_fail ("bad label list", line);
        }
        at++;
    }
    if (*at != ' ' || !s_parse_value (at + 1, &sample->value))
        return s_fail ("bad value", line);
    return true;
}

//  The value of label name in sample, or NULL.
static const char *
s_label (const sample_t *sample, const char *name)
{
    for (int at = 0; at < sample->labels; at++)
        if (strcmp (sample->label_names[at], name) == 0)
            return sample->values[at];
    return NULL;
}

//  Does sample name belong to family (of type) typed?
static bool
s_belongs (const char *name, const char *family, const char *type)
{
    size_t length = strlen (family);
    if (strncmp (name, family, length) != 0)
        return false;
    const char *suffix = name + length;
    if (strcmp (type, "histogram") == 0)
        return !strcmp (suffix, "_bucket") || !strcmp (suffix, "_sum") ||
               !strcmp (suffix, "_count");
    return *suffix == 0;
}

//  Checks a histogram's samples (first .. last) of one label set.
static bool
s_check_histogram (int first, int last)
{
    double previous_le = -INFINITY, previous_count = 0;
    int at = first;
    for (; at <= last && strstr (s_parsed.samples[at].name, "_bucket"); at++) {
        const sample_t *bucket = &s_parsed.samples[at];
        const char *le = s_label (bucket, "le");
        double bound;
        if (!le || !s_parse_value (le, &bound) || bound <= previous_le ||
            bucket->value < previous_count)
            return s_fail ("histogram buckets not ascending and cumulative", bucket->name);
        previous_le = bound;
        previous_count = bucket->value;
    }
    if (previous_le != INFINITY || at + 1 > last ||
        s_parsed.samples[at + 1].value != previous_count)
        return s_fail ("histogram without +Inf equal to _count", s_parsed.samples[first].name);
    return true;
}

//  Parses text; true when it keeps every rule.
static bool
s_parse (const char *text)
{
    memset (&s_parsed, 0, sizeof s_parsed);
    if (!s_is_utf8 ((const unsigned char *) text, strlen (text)))
        return s_fail ("not UTF-8", "");
    if (*text && text[strlen (text) - 1] != '\n')
        return s_fail ("last line not ended", "");
    char family[MAX_TEXT] = "", type[16] = "", seen[64][MAX_TEXT];
    int families = 0, histogram_start = -1;
    const char *line = text;
    while (*line) {
        const char *end = strchr (line, '\n');
        char buffer[1024];
        size_t length = (size_t) (end - line);
        ck_assert_uint_lt (length, sizeof buffer);
        memcpy (buffer, line, length);
        buffer[length] = 0;
        line = end + 1;
        char name[MAX_TEXT];
        if (strncmp (buffer, "# HELP ", 7) == 0 || strncmp (buffer, "# TYPE ", 7) == 0) {
            const char *space = strchr (buffer + 7, ' ');
            if (!space || !s_is_name (buffer + 7, (size_t) (space - buffer - 7), true))
                return s_fail ("bad comment", buffer);
            memcpy (name, buffer + 7, (size_t) (space - buffer - 7));
            name[space - buffer - 7] = 0;
            if (strcmp (name, family) != 0) {
                for (int at = 0; at < families; at++)
                    if (strcmp (seen[at], name) == 0)
                        return s_fail ("family written twice", buffer);
                ck_assert_int_lt (families, 64);
                strcpy (seen[families++], name);
                strcpy (family, name);
                type[0] = 0;
            }
            if (buffer[2] == 'T') {
                if (type[0])
                    return s_fail ("second TYPE", buffer);
                if (strcmp (space + 1, "counter") && strcmp (space + 1, "gauge") &&
                    strcmp (space + 1, "histogram"))
                    return s_fail ("unknown type", buffer);
                strcpy (type, space + 1);
            } else
                for (const char *c = space + 1; *c; c++)
                    if (*c == '\\' && c[1] != '\\' && c[1] != 'n')
                        return s_fail ("bad escape in HELP", buffer);
                    else if (*c == '\\')
                        c++;
            continue;
        }
        if (buffer[0] == '#' || buffer[0] == 0)
            return s_fail ("stray line", buffer);
        if (s_parsed.count == MAX_SAMPLES)
            return s_fail ("too many samples for the test", buffer);
        sample_t *sample = &s_parsed.samples[s_parsed.count];
        if (!s_parse_sample (buffer, sample))
            return false;
        if (!type[0] || !s_belongs (sample->name, family, type))
            return s_fail ("sample outside its family", buffer);
        if (strcmp (type, "histogram") == 0) {
            bool bucket = strstr (sample->name, "_bucket") != NULL;
            if (bucket && histogram_start < 0)
                histogram_start = s_parsed.count;
            if (!bucket && histogram_start < 0)
                return s_fail ("_sum or _count without buckets", buffer);
            if (strstr (sample->name, "_count")) {
                if (!s_check_histogram (histogram_start, s_parsed.count))
                    return false;
                histogram_start = -1;
            }
        }
        s_parsed.count++;
    }
    return true;
}

//  ---------------------------------------------------------------------

START_TEST (test_exact_text)
{
    sq_prometheus_t *writer = sq_prometheus_new ();
    ck_assert_ptr_nonnull (writer);
    ck_assert_str_eq (sq_prometheus_text (writer), "");
    const char *const labels[] = {"topology", "wc", "component", "split", NULL};
    ck_assert_int_eq (sq_prometheus_family (writer, "squall_tuples_emitted", SQ_PROMETHEUS_COUNTER,
                                            "Tuples emitted."),
                      0);
    ck_assert_int_eq (sq_prometheus_counter (writer, labels, 42), 0);
    ck_assert_int_eq (sq_prometheus_family (writer, "squall_capacity", SQ_PROMETHEUS_GAUGE, NULL),
                      0);
    ck_assert_int_eq (sq_prometheus_gauge (writer, NULL, 0.5), 0);
    ck_assert_int_eq (sq_prometheus_gauge (writer, labels, 0.1), 0);
    ck_assert_int_eq (sq_prometheus_gauge (writer, labels + 2, NAN), 0);
    const char *const task[] = {"task", "3", NULL};
    ck_assert_int_eq (sq_prometheus_gauge (writer, task, -INFINITY), 0);
    ck_assert_str_eq (sq_prometheus_text (writer),
                      "# HELP squall_tuples_emitted_total Tuples emitted.\n"
                      "# TYPE squall_tuples_emitted_total counter\n"
                      "squall_tuples_emitted_total{topology=\"wc\",component=\"split\"} 42\n"
                      "# TYPE squall_capacity gauge\n"
                      "squall_capacity 0.5\n"
                      "squall_capacity{topology=\"wc\",component=\"split\"} 0.1\n"
                      "squall_capacity{component=\"split\"} NaN\n"
                      "squall_capacity{task=\"3\"} -Inf\n");
    ck_assert_uint_eq (sq_prometheus_size (writer), strlen (sq_prometheus_text (writer)));
    ck_assert_msg (s_parse (sq_prometheus_text (writer)), "%s", s_parsed.error);
    ck_assert_int_eq (s_parsed.count, 5);
    sq_prometheus_destroy (&writer);
    ck_assert_ptr_null (writer);
    sq_prometheus_destroy (&writer);
}
END_TEST

//  A histogram of known values: each cumulative count is exact, the sum
//  is exact decimal seconds, and the lines are in the format's order.
START_TEST (test_histogram_lines)
{
    sq_histogram_t *histogram = sq_histogram_new ();
    sq_prometheus_t *writer = sq_prometheus_new ();
    ck_assert (histogram && writer);
    sq_histogram_record (histogram, 1023);        //  at the first bound: counts in it
    sq_histogram_record (histogram, 1024);        //  just above it
    sq_histogram_record (histogram, 1500000);     //  1.5 ms
    sq_histogram_record (histogram, 10ULL << 42); //  beyond the last bound
    const char *const labels[] = {"component", "count", NULL};
    ck_assert_int_eq (sq_prometheus_family (writer, "squall_execute_latency_seconds",
                                            SQ_PROMETHEUS_HISTOGRAM, "Execute latency."),
                      0);
    ck_assert_int_eq (sq_prometheus_histogram (writer, labels, histogram), 0);
    const char *text = sq_prometheus_text (writer);
    ck_assert_msg (s_parse (text), "%s", s_parsed.error);
    ck_assert_int_eq (s_parsed.count, SQ_PROMETHEUS_LE_BOUNDS + 3);
    ck_assert_ptr_nonnull (strstr (text, "\nsquall_execute_latency_seconds_bucket{component="
                                         "\"count\",le=\"0.000001023\"} 1\n"));
    ck_assert_ptr_nonnull (strstr (text, "{component=\"count\",le=\"0.000004095\"} 2\n"));
    ck_assert_ptr_nonnull (strstr (text, "{component=\"count\",le=\"0.001048575\"} 2\n"));
    ck_assert_ptr_nonnull (strstr (text, "{component=\"count\",le=\"0.004194303\"} 3\n"));
    ck_assert_ptr_nonnull (strstr (text, "{component=\"count\",le=\"4398.046511103\"} 3\n"));
    ck_assert_ptr_nonnull (strstr (text, "{component=\"count\",le=\"+Inf\"} 4\n"));
    ck_assert_ptr_nonnull (strstr (text, "\nsquall_execute_latency_seconds_sum{component="
                                         "\"count\"} 43980.466613087\n"));
    ck_assert_ptr_nonnull (strstr (text, "\nsquall_execute_latency_seconds_count{component="
                                         "\"count\"} 4\n"));
    //  Every bound's count agrees with the values recorded.
    for (int at = 0; at < SQ_PROMETHEUS_LE_BOUNDS; at++) {
        uint64_t bound = sq_prometheus_le_bound ((size_t) at);
        double want = (1023 <= bound) + (1024 <= bound) + (1500000 <= bound);
        double le = strtod (s_label (&s_parsed.samples[at], "le"), NULL);
        ck_assert (fabs (le * 1e9 - (double) bound) < 1e-3 * (double) bound);
        ck_assert (s_parsed.samples[at].value == want);
    }
    //  An empty histogram: zeros, sum "0".
    sq_histogram_reset (histogram);
    ck_assert_int_eq (sq_prometheus_histogram (writer, NULL, histogram), 0);
    ck_assert_ptr_nonnull (strstr (sq_prometheus_text (writer),
                                   "\nsquall_execute_latency_seconds_bucket{le=\"+Inf\"} 0\n"
                                   "squall_execute_latency_seconds_sum 0\n"
                                   "squall_execute_latency_seconds_count 0\n"));
    ck_assert_msg (s_parse (sq_prometheus_text (writer)), "%s", s_parsed.error);
    sq_prometheus_destroy (&writer);
    sq_histogram_destroy (&histogram);
}
END_TEST

//  Component ids from a hostile topology: quotes, backslashes, newlines,
//  a forged label and bytes that are not UTF-8. The text still parses,
//  and the values read back are the ones written (invalid bytes as
//  U+FFFD).
START_TEST (test_hostile_label_values)
{
    static const char *const hostile[] = {
        "a\"b",
        "back\\slash",
        "line\nbreak",
        "x\"} 1\nsquall_forged_total 99\n#",
        "\\\"\\n\\",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x9f",
        "",
    };
    sq_prometheus_t *writer = sq_prometheus_new ();
    ck_assert_ptr_nonnull (writer);
    ck_assert_int_eq (sq_prometheus_family (writer, "squall_tuples_acked", SQ_PROMETHEUS_COUNTER,
                                            "Acked.\nSecond \\ line."),
                      0);
    size_t count = sizeof hostile / sizeof hostile[0];
    for (size_t at = 0; at < count; at++) {
        const char *labels[] = {"component", hostile[at], "task", "7", NULL};
        ck_assert_int_eq (sq_prometheus_counter (writer, labels, at), 0);
    }
    const char *invalid[] = {"component", "bad\xff\xc0\x80\xed\xa0\x80x\xc3", NULL};
    ck_assert_int_eq (sq_prometheus_counter (writer, invalid, 1), 0);
    const char *text = sq_prometheus_text (writer);
    ck_assert_msg (s_parse (text), "%s", s_parsed.error);
    ck_assert_int_eq (s_parsed.count, (int) count + 1);
    ck_assert_ptr_null (strstr (text, "\nsquall_forged_total"));
    ck_assert_ptr_nonnull (
        strstr (text, "# HELP squall_tuples_acked_total Acked.\\nSecond \\\\ line.\n"));
    ck_assert_ptr_nonnull (strstr (text, "component=\"a\\\"b\""));
    for (size_t at = 0; at < count; at++) {
        ck_assert_str_eq (s_parsed.samples[at].name, "squall_tuples_acked_total");
        ck_assert_str_eq (s_label (&s_parsed.samples[at], "component"), hostile[at]);
        ck_assert_str_eq (s_label (&s_parsed.samples[at], "task"), "7");
        ck_assert (s_parsed.samples[at].value == (double) at);
    }
    //  0xff, an overlong 0xc0 0x80, a surrogate 0xed 0xa0 0x80 and a cut
    //  sequence at the end: one U+FFFD per byte that starts no sequence.
    ck_assert_str_eq (s_label (&s_parsed.samples[count], "component"),
                      "bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                      "x\xef\xbf\xbd");
    sq_prometheus_destroy (&writer);
}
END_TEST

//  Calls that break a rule fail, write nothing and leave valid text.
START_TEST (test_rules_refused)
{
    static const char *const bad_names[] = {
        "tuples",         "squall_",        "Squall_x",          "squall_a-b",
        "squall_a:b",     "squall_x_total", "squall_lat_bucket", "squall_x_sum",
        "squall_x_count", "squall_é",       "squall_a b",        "squall_a\nb",
    };
    sq_prometheus_t *writer = sq_prometheus_new ();
    sq_histogram_t *histogram = sq_histogram_new ();
    ck_assert (writer && histogram);
    for (size_t at = 0; at < sizeof bad_names / sizeof bad_names[0]; at++) {
        ck_assert_int_eq (sq_prometheus_family (writer, bad_names[at], SQ_PROMETHEUS_GAUGE, NULL),
                          -1);
        ck_assert_ptr_nonnull (strstr (sq_last_error (), "prometheus: "));
    }
    ck_assert_int_eq (sq_prometheus_family (writer, NULL, SQ_PROMETHEUS_GAUGE, NULL), -1);
    ck_assert_uint_eq (sq_prometheus_size (writer), 0);
    //  No family yet.
    ck_assert_int_eq (sq_prometheus_gauge (writer, NULL, 1.0), -1);
    ck_assert_int_eq (sq_prometheus_family (writer, "squall_lat", SQ_PROMETHEUS_HISTOGRAM, NULL),
                      0);
    size_t size = sq_prometheus_size (writer);
    //  Wrong type for the family, bad label names, le, twice, no value.
    ck_assert_int_eq (sq_prometheus_counter (writer, NULL, 1), -1);
    ck_assert_int_eq (sq_prometheus_gauge (writer, NULL, 1.0), -1);
    const char *const bad_labels[][5] = {
        {"le", "1", NULL}, {"__name__", "x", NULL},    {"1a", "x", NULL},  {"a-b", "x", NULL},
        {"", "x", NULL},   {"a", "1", "a", "2", NULL}, {"a\"", "x", NULL}, {"task", NULL},
    };
    for (size_t at = 0; at < sizeof bad_labels / sizeof bad_labels[0]; at++)
        ck_assert_msg (sq_prometheus_histogram (writer, bad_labels[at], histogram) == -1,
                       "labels %zu accepted", at);
    ck_assert_uint_eq (sq_prometheus_size (writer), size);
    //  A family once only, whatever its type.
    ck_assert_int_eq (sq_prometheus_family (writer, "squall_lat", SQ_PROMETHEUS_GAUGE, NULL), -1);
    ck_assert_int_eq (sq_prometheus_family (writer, "squall_up", SQ_PROMETHEUS_GAUGE, NULL), 0);
    //  le is an ordinary label outside histograms.
    const char *const le[] = {"le", "x", NULL};
    ck_assert_int_eq (sq_prometheus_gauge (writer, le, 1.0), 0);
    ck_assert_msg (s_parse (sq_prometheus_text (writer)), "%s", s_parsed.error);
    sq_histogram_destroy (&histogram);
    sq_prometheus_destroy (&writer);
}
END_TEST

//  Thousands of samples grow the buffer; the text stays whole.
START_TEST (test_growth)
{
    sq_prometheus_t *writer = sq_prometheus_new ();
    ck_assert_ptr_nonnull (writer);
    ck_assert_int_eq (sq_prometheus_family (writer, "squall_queue_population", SQ_PROMETHEUS_GAUGE,
                                            "Receive queue population."),
                      0);
    for (int task = 0; task < 5000; task++) {
        char id[16];
        snprintf (id, sizeof id, "%d", task);
        const char *const labels[] = {"task", id, NULL};
        ck_assert_int_eq (sq_prometheus_gauge (writer, labels, task * 0.25), 0);
    }
    const char *text = sq_prometheus_text (writer);
    ck_assert_uint_eq (strlen (text), sq_prometheus_size (writer));
    ck_assert_ptr_nonnull (strstr (text, "squall_queue_population{task=\"4999\"} 1249.75\n"));
    ck_assert_uint_gt (sq_prometheus_size (writer), 4096);
    sq_prometheus_destroy (&writer);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("prometheus");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, test_exact_text);
    tcase_add_test (tc, test_histogram_lines);
    tcase_add_test (tc, test_hostile_label_values);
    tcase_add_test (tc, test_rules_refused);
    tcase_add_test (tc, test_growth);
    suite_add_tcase (suite, tc);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
