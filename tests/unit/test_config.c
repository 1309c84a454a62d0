/*  test_config - configuration: defaults, parsing, errors, files, merge */
#include "sq_config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

//  Asserts that the last error contains text.
#define ASSERT_ERROR(text)                                                                         \
    ck_assert_msg (strstr (sq_last_error (), (text)), "error '%s' lacks '%s'", sq_last_error (),   \
                   (text))

//  Writes text to a new temporary file; returns its path (caller frees and
//  unlinks).
static char *
s_temp_file (const char *text)
{
    char *path = strdup ("/tmp/test_config_XXXXXX");
    int fd = mkstemp (path);
    ck_assert_int_ge (fd, 0);
    size_t len = strlen (text);
    ck_assert_int_eq (write (fd, text, len), (ssize_t) len);
    close (fd);
    return path;
}

static void
s_remove_file (char **path_p)
{
    unlink (*path_p);
    free (*path_p);
    *path_p = NULL;
}

//  ---------------------------------------------------------------------

START_TEST (test_defaults)
{
    sq_config_t *config = sq_config_new ();
    ck_assert_int_eq (sq_config_int (config, "topology.workers", -1), 1);
    ck_assert_int_eq (sq_config_int (config, "topology.acker.executors", -1), 1);
    ck_assert_int_eq (sq_config_int (config, "topology.message.timeout.secs", -1), 30);
    ck_assert_int_eq (sq_config_int (config, "topology.max.spout.pending", -1), 0);
    ck_assert_int_eq (sq_config_int (config, "topology.executor.receive.buffer.size", -1), 16384);
    ck_assert_int_eq (sq_config_int (config, "topology.producer.batch.size", -1), 256);
    ck_assert (!sq_config_bool (config, "topology.debug", true));
    ck_assert (sq_config_bool (config, "topology.enable.message.timeouts", false));
    ck_assert (fabs (sq_config_double (config, "topology.stats.sample.rate", -1) - 0.05) < 1e-12);
    ck_assert_int_eq (sq_config_int (config, "storm.zookeeper.port", -1), 2181);
    ck_assert_str_eq (sq_config_string (config, "storm.zookeeper.root", NULL), "/storm");
    ck_assert_str_eq (sq_config_string (config, "nimbus.host", NULL), "127.0.0.1");
    ck_assert_int_eq (sq_config_int (config, "nimbus.port", -1), 6627);
    //  Absolute, whatever the daemon's working directory.
    const char *local_dir = sq_config_string (config, "storm.local.dir", NULL);
    ck_assert_msg (local_dir[0] == '/' && strstr (local_dir, "/lib/squall"), "%s", local_dir);

    const json_t *servers = sq_config_list (config, "storm.zookeeper.servers");
    ck_assert_uint_eq (json_array_size (servers), 1);
    ck_assert_str_eq (json_string_value (json_array_get (servers, 0)), "127.0.0.1");
    const json_t *ports = sq_config_list (config, "supervisor.slots.ports");
    ck_assert_uint_eq (json_array_size (ports), 4);
    ck_assert_int_eq (json_integer_value (json_array_get (ports, 0)), 6700);
    ck_assert_int_eq (json_integer_value (json_array_get (ports, 3)), 6703);

    //  Defaults are not "set"; unknown keys fall back; wrong getters fall back.
    ck_assert (!sq_config_has (config, "topology.workers"));
    ck_assert_int_eq (sq_config_int (config, "no.such.key", 77), 77);
    ck_assert_str_eq (sq_config_string (config, "no.such.key", "dflt"), "dflt");
    ck_assert_ptr_null (sq_config_string (config, "topology.workers", NULL));
    ck_assert_int_eq (sq_config_int (config, "nimbus.host", 5), 5);
    ck_assert_ptr_null (sq_config_list (config, "nimbus.port"));
    ck_assert_ptr_null (sq_config_list (config, "no.such.key"));
    //  An int reads as a double too.
    ck_assert (sq_config_double (config, "nimbus.port", 0) == 6627.0);
    sq_config_destroy (&config);
    ck_assert_ptr_null (config);
    sq_config_destroy (&config);
    sq_config_destroy (NULL);
}
END_TEST

START_TEST (test_key_table)
{
    size_t count = 0;
    for (const sq_config_key_t *key; (key = sq_config_key_at (count)); count++) {
        ck_assert_ptr_eq (sq_config_key_lookup (key->name), key);
        ck_assert (strlen (key->doc) > 10);
        ck_assert_str_ne (sq_config_type_name (key->type), "unknown");
        //  Every default is valid text for its key, and reads back as the
        //  default a new config reports.
        sq_config_t *fresh = sq_config_new ();
        const json_t *default_value = sq_config_json (fresh, key->name);
        ck_assert_ptr_nonnull (default_value);
        sq_config_t *config = sq_config_new ();
        ck_assert_msg (sq_config_set (config, key->name, key->default_text) == 0, "%s: %s",
                       key->name, sq_last_error ());
        ck_assert (json_equal (sq_config_json (config, key->name), default_value));
        sq_config_destroy (&fresh);
        sq_config_destroy (&config);
    }
    ck_assert_uint_ge (count, 26);
    //  Every key is documented in doc/config.md.
    const char *top = getenv ("top_srcdir");
    char path[4096];
    snprintf (path, sizeof path, "%s/doc/config.md", top ? top : ".");
    FILE *file = fopen (path, "r");
    ck_assert_msg (file != NULL, "cannot read %s", path);
    static char doc[1 << 20];
    size_t size = fread (doc, 1, sizeof doc - 1, file);
    doc[size] = 0;
    fclose (file);
    for (size_t i = 0; i < count; i++) {
        const sq_config_key_t *key = sq_config_key_at (i);
        char quoted[256];
        snprintf (quoted, sizeof quoted, "`%s`", key->name);
        ck_assert_msg (strstr (doc, quoted), "doc/config.md does not document %s", quoted);
        //  Every numeric key has a range, its default within it, listed in
        //  the doc's table of ranges.
        bool numeric = key->type == SQ_CONFIG_INT || key->type == SQ_CONFIG_DOUBLE ||
                       key->type == SQ_CONFIG_INT_LIST;
        double min = 0, max = 0;
        ck_assert_msg (sq_config_key_range (key->name, &min, &max) == numeric,
                       "%s: a range only and always for a numeric key", key->name);
        if (!numeric)
            continue;
        sq_config_t *config = sq_config_new ();
        ck_assert_msg (sq_config_set (config, key->name, key->default_text) == 0,
                       "%s: the default is out of its range: %s", key->name, sq_last_error ());
        sq_config_destroy (&config);
        char row[300];
        snprintf (row, sizeof row, "| `%s` | %.15g to %.15g |", key->name, min, max);
        ck_assert_msg (strstr (doc, row), "doc/config.md lacks the range row %s", row);
    }
    ck_assert_ptr_null (sq_config_key_lookup ("wordcount.input"));
    const sq_config_key_t *ports = sq_config_key_lookup ("supervisor.slots.ports");
    ck_assert_str_eq (sq_config_type_name (ports->type), "list of ints");
    ck_assert_str_eq (ports->default_text, "6700,6701,6702,6703");
    ck_assert_str_eq (sq_config_type_name (sq_config_key_lookup ("storm.zookeeper.servers")->type),
                      "list of strings");
}
END_TEST

//  Out of range through every way of setting a key: refused with the key,
//  the range and the value; the bounds are accepted; the old value stays.
START_TEST (test_ranges)
{
    sq_config_t *config = sq_config_new ();
    ck_assert_int_eq (sq_config_set (config, "nimbus.port", "65535"), 0);
    ck_assert_int_eq (sq_config_set (config, "nimbus.port", "70000"), -1);
    ck_assert_str_eq (sq_last_error (), "config key 'nimbus.port' must be between 1 and 65535, got 70000");
    ck_assert_int_eq (sq_config_int (config, "nimbus.port", 0), 65535);
    ck_assert_int_eq (sq_config_set_int (config, "topology.workers", 0), -1);
    ck_assert_str_eq (sq_last_error (), "config key 'topology.workers' must be between 1 and 4096, got 0");
    ck_assert_int_eq (sq_config_set_int (config, "topology.workers", 99999999999), -1);
    ck_assert_int_eq (sq_config_set_option (config, "topology.message.timeout.secs=0"), -1);
    ck_assert_str_eq (sq_last_error (),
                      "config key 'topology.message.timeout.secs' must be between 1 and 604800, got 0");
    ck_assert_int_eq (sq_config_set_option (config, "storm.zookeeper.session.timeout=-5"), -1);
    ck_assert_int_eq (sq_config_set_double (config, "topology.stats.sample.rate", 1.5), -1);
    ck_assert_str_eq (sq_last_error (),
                      "config key 'topology.stats.sample.rate' must be between 0 and 1, got 1.5");
    ck_assert_int_eq (sq_config_set_double (config, "topology.stats.sample.rate", 0), 0);
    ck_assert_int_eq (sq_config_set (config, "supervisor.slots.ports", "6700,0"), -1);
    ck_assert_str_eq (sq_last_error (),
                      "config key 'supervisor.slots.ports' must be between 1 and 65535, got 0");
    json_t *json = json_pack ("{s:i}", "ui.port", -2);
    sq_config_t *loaded = sq_config_from_json (json);
    ck_assert_ptr_null (loaded);
    ck_assert_str_eq (sq_last_error (), "config key 'ui.port' must be between -1 and 65535, got -2");
    json_decref (json);
    //  Keys of the topology's own have no range.
    ck_assert_int_eq (sq_config_set_int (config, "wordcount.limit", -70000), 0);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_set_each_type)
{
    sq_config_t *config = sq_config_new ();
    ck_assert_int_eq (sq_config_set (config, "topology.workers", "4"), 0);
    ck_assert_int_eq (sq_config_int (config, "topology.workers", -1), 4);
    ck_assert (sq_config_has (config, "topology.workers"));
    ck_assert_int_eq (sq_config_set (config, "ui.port", " -1 "), 0);
    ck_assert_int_eq (sq_config_int (config, "ui.port", 0), -1);
    ck_assert_int_eq (sq_config_set (config, "my.own.key", "9223372036854775807"), 0);
    ck_assert_int_eq (sq_config_int (config, "my.own.key", 0), INT64_MAX);

    ck_assert_int_eq (sq_config_set (config, "topology.stats.sample.rate", "0.5"), 0);
    ck_assert (sq_config_double (config, "topology.stats.sample.rate", 0) == 0.5);
    ck_assert_int_eq (sq_config_set (config, "topology.stats.sample.rate", "1"), 0);
    ck_assert (sq_config_double (config, "topology.stats.sample.rate", 0) == 1.0);
    ck_assert (json_is_real (sq_config_json (config, "topology.stats.sample.rate")));

    ck_assert_int_eq (sq_config_set (config, "topology.debug", "true"), 0);
    ck_assert (sq_config_bool (config, "topology.debug", false));
    ck_assert_int_eq (sq_config_set (config, "topology.debug", "false"), 0);
    ck_assert (!sq_config_bool (config, "topology.debug", true));

    ck_assert_int_eq (sq_config_set (config, "storm.zookeeper.root", "/squall"), 0);
    ck_assert_str_eq (sq_config_string (config, "storm.zookeeper.root", NULL), "/squall");
    //  Strings are taken as they are, even when they look like numbers.
    ck_assert_int_eq (sq_config_set (config, "nimbus.host", "  42 "), 0);
    ck_assert_str_eq (sq_config_string (config, "nimbus.host", NULL), "  42 ");
    ck_assert_int_eq (sq_config_set (config, "storm.local.dir", ""), 0);
    ck_assert_str_eq (sq_config_string (config, "storm.local.dir", NULL), "");

    //  Typed setters.
    ck_assert_int_eq (sq_config_set_int (config, "nimbus.port", 7000), 0);
    ck_assert_int_eq (sq_config_int (config, "nimbus.port", 0), 7000);
    ck_assert_int_eq (sq_config_set_double (config, "topology.stats.sample.rate", 0.25), 0);
    ck_assert (sq_config_double (config, "topology.stats.sample.rate", 0) == 0.25);
    ck_assert_int_eq (sq_config_set_int (config, "topology.stats.sample.rate", 1), 0);
    ck_assert (sq_config_double (config, "topology.stats.sample.rate", 0) == 1.0);
    ck_assert_int_eq (sq_config_set_bool (config, "topology.debug", true), 0);
    ck_assert (sq_config_bool (config, "topology.debug", false));
    ck_assert_int_eq (sq_config_set_string (config, "nimbus.host", "10.0.0.1"), 0);
    ck_assert_str_eq (sq_config_string (config, "nimbus.host", NULL), "10.0.0.1");
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_wrong_types)
{
    sq_config_t *config = sq_config_new ();
    const char *bad_ints[] = {
        "12abc", "",     "  ", "1.5", "0x10", "99999999999999999999", "-99999999999999999999",
        "- 5",   "true", "1 2"};
    for (size_t i = 0; i < sizeof bad_ints / sizeof bad_ints[0]; i++) {
        ck_assert_int_eq (sq_config_set (config, "topology.workers", bad_ints[i]), -1);
        char expected[128];
        snprintf (expected, sizeof expected,
                  "config key 'topology.workers' expects an integer, got '%s'", bad_ints[i]);
        ck_assert_str_eq (sq_last_error (), expected);
    }
    ck_assert (!sq_config_has (config, "topology.workers"));

    const char *bad_doubles[] = {"", "abc", "1.5x", "nan", "inf", "1e999"};
    for (size_t i = 0; i < sizeof bad_doubles / sizeof bad_doubles[0]; i++) {
        ck_assert_int_eq (sq_config_set (config, "topology.stats.sample.rate", bad_doubles[i]), -1);
        ASSERT_ERROR ("config key 'topology.stats.sample.rate' expects a finite number");
    }
    const char *bad_bools[] = {"", "yes", "1", "TRUE", "truex"};
    for (size_t i = 0; i < sizeof bad_bools / sizeof bad_bools[0]; i++) {
        ck_assert_int_eq (sq_config_set (config, "topology.debug", bad_bools[i]), -1);
        ASSERT_ERROR ("config key 'topology.debug' expects true or false, got '");
    }
    ck_assert_int_eq (sq_config_set (config, "topology.debug", " true "), 0);

    //  Typed setters on keys of another type.
    ck_assert_int_eq (sq_config_set_string (config, "topology.workers", "3"), -1);
    ck_assert_str_eq (sq_last_error (),
                      "config key 'topology.workers' expects an integer, got \"3\"");
    ck_assert_int_eq (sq_config_set_int (config, "topology.debug", 1), -1);
    ck_assert_str_eq (sq_last_error (), "config key 'topology.debug' expects true or false, got 1");
    ck_assert_int_eq (sq_config_set_double (config, "topology.workers", 2.5), -1);
    ASSERT_ERROR ("expects an integer, got 2.5");
    ck_assert_int_eq (sq_config_set_bool (config, "nimbus.host", true), -1);
    ASSERT_ERROR ("'nimbus.host' expects a UTF-8 string, got true");
    ck_assert_int_eq (sq_config_set_int (config, "supervisor.slots.ports", 6700), -1);
    ASSERT_ERROR ("expects a list of integers");
    ck_assert_int_eq (sq_config_set_double (config, "topology.stats.sample.rate", NAN), -1);
    ck_assert_int_eq (sq_config_set_double (config, "topology.stats.sample.rate", INFINITY), -1);
    ck_assert_int_eq (sq_config_set_string (config, "nimbus.host", NULL), -1);
    ck_assert_int_eq (sq_config_set (config, "nimbus.host", NULL), -1);
    ck_assert_int_eq (sq_config_set_int (config, "", 1), -1);
    ASSERT_ERROR ("config key is empty");
    ck_assert_int_eq (sq_config_set_string (config, "wordcount.input", "\xff\xfe"), -1);
    ck_assert_int_eq (sq_config_set_int (config, "bad.\xff", 1), -1);
    ASSERT_ERROR ("not valid UTF-8");

    //  Nothing above was stored.
    json_t *json = sq_config_to_json (config);
    ck_assert_uint_eq (json_object_size (json), 1); //  only topology.debug
    json_decref (json);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_unknown_keys)
{
    sq_config_t *config = sq_config_new ();
    ck_assert_int_eq (sq_config_set (config, "wordcount.input", "words.txt"), 0);
    ck_assert_str_eq (sq_config_string (config, "wordcount.input", NULL), "words.txt");
    ck_assert_int_eq (sq_config_set (config, "wordcount.limit", "1000"), 0);
    //  A topology's own keys keep their text and read as any type it parses as.
    ck_assert_int_eq (sq_config_int (config, "wordcount.limit", 0), 1000);
    ck_assert_str_eq (sq_config_string (config, "wordcount.limit", NULL), "1000");
    ck_assert_int_eq (sq_config_set (config, "wordcount.input", "123"), 0);
    ck_assert_str_eq (sq_config_string (config, "wordcount.input", NULL), "123");
    ck_assert_int_eq (sq_config_set (config, "wordcount.limit", "12abc"), 0);
    ck_assert_int_eq (sq_config_int (config, "wordcount.limit", -7), -7);
    ck_assert_int_eq (sq_config_set (config, "wordcount.ratio", "0.75"), 0);
    ck_assert (sq_config_double (config, "wordcount.ratio", 0) == 0.75);
    ck_assert_int_eq (sq_config_int (config, "wordcount.ratio", -1), -1);
    ck_assert_int_eq (sq_config_set (config, "wordcount.verbose", "true"), 0);
    ck_assert (sq_config_bool (config, "wordcount.verbose", false));
    //  The raw text, untouched.
    const char *strings[] = {"12abc", "",          " spaced ",   "null",
                             "[1,2]", "{\"a\":1}", "\"quoted\"", "007"};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        ck_assert_int_eq (sq_config_set (config, "wordcount.text", strings[i]), 0);
        ck_assert_str_eq (sq_config_string (config, "wordcount.text", NULL), strings[i]);
    }
    //  Typed setters store their type.
    ck_assert_int_eq (sq_config_set_string (config, "wordcount.name", "123"), 0);
    ck_assert_str_eq (sq_config_string (config, "wordcount.name", NULL), "123");
    ck_assert_int_eq (sq_config_set_double (config, "wordcount.pi", 3.25), 0);
    ck_assert (sq_config_double (config, "wordcount.pi", 0) == 3.25);
    ck_assert_int_eq (sq_config_set_bool (config, "wordcount.flag", false), 0);
    ck_assert (!sq_config_bool (config, "wordcount.flag", true));
    ck_assert (sq_config_has (config, "wordcount.flag"));
    ck_assert (!sq_config_has (config, "wordcount.other"));
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_lists)
{
    sq_config_t *config = sq_config_new ();
    ck_assert_int_eq (sq_config_set (config, "storm.zookeeper.servers", "zk1, zk2 ,zk3"), 0);
    const json_t *servers = sq_config_list (config, "storm.zookeeper.servers");
    ck_assert_uint_eq (json_array_size (servers), 3);
    ck_assert_str_eq (json_string_value (json_array_get (servers, 1)), "zk2");
    ck_assert_int_eq (sq_config_set (config, "storm.zookeeper.servers", "[\"a\", \"b,c\"]"), 0);
    servers = sq_config_list (config, "storm.zookeeper.servers");
    ck_assert_uint_eq (json_array_size (servers), 2);
    ck_assert_str_eq (json_string_value (json_array_get (servers, 1)), "b,c");
    ck_assert_int_eq (sq_config_set (config, "storm.zookeeper.servers", ""), 0);
    ck_assert_uint_eq (json_array_size (sq_config_list (config, "storm.zookeeper.servers")), 0);

    ck_assert_int_eq (sq_config_set (config, "supervisor.slots.ports", "7000,7001"), 0);
    const json_t *ports = sq_config_list (config, "supervisor.slots.ports");
    ck_assert_uint_eq (json_array_size (ports), 2);
    ck_assert_int_eq (json_integer_value (json_array_get (ports, 1)), 7001);
    ck_assert_int_eq (sq_config_set (config, "supervisor.slots.ports", " [ 1, 2, 3 ] "), 0);
    ck_assert_uint_eq (json_array_size (sq_config_list (config, "supervisor.slots.ports")), 3);
    ck_assert_int_eq (sq_config_set (config, "supervisor.slots.ports", "8000"), 0);
    ck_assert_uint_eq (json_array_size (sq_config_list (config, "supervisor.slots.ports")), 1);

    const char *bad_ports[] = {"7000,abc", "7000,,7001", "7000,",     "[1,\"2\"]",
                               "[1,2",     "[1.5]",      "{\"a\":1}", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad_ports / sizeof bad_ports[0]; i++) {
        ck_assert_int_eq (sq_config_set (config, "supervisor.slots.ports", bad_ports[i]), -1);
        char expected[128];
        snprintf (expected, sizeof expected,
                  "config key 'supervisor.slots.ports' expects a list of integers, got '%s'",
                  bad_ports[i]);
        ck_assert_str_eq (sq_last_error (), expected);
    }
    ck_assert_int_eq (sq_config_set (config, "storm.zookeeper.servers", "a,,b"), -1);
    ck_assert_int_eq (sq_config_set (config, "storm.zookeeper.servers", "[1]"), -1);
    ASSERT_ERROR ("expects a list of UTF-8 strings, got '[1]'");
    //  The last good value stays.
    ck_assert_int_eq (
        json_integer_value (json_array_get (sq_config_list (config, "supervisor.slots.ports"), 0)),
        8000);

    //  JSON setter for lists.
    json_t *list = json_pack ("[s,s]", "h1", "h2");
    ck_assert_int_eq (sq_config_set_json (config, "storm.zookeeper.servers", list), 0);
    json_decref (list);
    ck_assert_str_eq (
        json_string_value (json_array_get (sq_config_list (config, "storm.zookeeper.servers"), 1)),
        "h2");
    json_t *wrong = json_pack ("[i]", 1);
    ck_assert_int_eq (sq_config_set_json (config, "storm.zookeeper.servers", wrong), -1);
    ASSERT_ERROR ("got [1]");
    json_decref (wrong);
    sq_config_destroy (&config);
}
END_TEST

START_TEST (test_load_file)
{
    char *path = s_temp_file ("{\n"
                              "  \"topology.workers\": 3,\n"
                              "  \"storm.zookeeper.servers\": [\"zk1\", \"zk2\"],\n"
                              "  \"supervisor.slots.ports\": [6800],\n"
                              "  \"topology.stats.sample.rate\": 1,\n"
                              "  \"topology.debug\": true,\n"
                              "  \"nimbus.host\": \"10.1.2.3\",\n"
                              "  \"wordcount.input\": \"words.txt\",\n"
                              "  \"my.nested\": {\"a\": [1, 2]}\n"
                              "}\n");
    sq_config_t *config = sq_config_load_file (path);
    ck_assert_msg (config != NULL, "%s", sq_last_error ());
    ck_assert_int_eq (sq_config_int (config, "topology.workers", 0), 3);
    ck_assert_uint_eq (json_array_size (sq_config_list (config, "storm.zookeeper.servers")), 2);
    ck_assert_int_eq (
        json_integer_value (json_array_get (sq_config_list (config, "supervisor.slots.ports"), 0)),
        6800);
    ck_assert (sq_config_double (config, "topology.stats.sample.rate", 0) == 1.0);
    ck_assert (sq_config_bool (config, "topology.debug", false));
    ck_assert_str_eq (sq_config_string (config, "nimbus.host", NULL), "10.1.2.3");
    ck_assert_str_eq (sq_config_string (config, "wordcount.input", NULL), "words.txt");
    ck_assert (json_is_object (sq_config_json (config, "my.nested")));
    ck_assert_int_eq (sq_config_int (config, "nimbus.port", 0), 6627); //  default
    sq_config_destroy (&config);
    s_remove_file (&path);

    //  Broken JSON: file, line and column.
    path = s_temp_file ("{\n  \"topology.workers\": 3,\n  \"nimbus.port\": ,\n}\n");
    ck_assert_ptr_null (sq_config_load_file (path));
    char expected[256];
    snprintf (expected, sizeof expected, "config file '%s': line 3 column ", path);
    ASSERT_ERROR (expected);
    s_remove_file (&path);

    //  A known key of the wrong type: file and key.
    path = s_temp_file ("{\"topology.workers\": \"three\"}");
    ck_assert_ptr_null (sq_config_load_file (path));
    snprintf (expected, sizeof expected,
              "config file '%s': config key 'topology.workers' expects an integer, got \"three\"",
              path);
    ck_assert_str_eq (sq_last_error (), expected);
    s_remove_file (&path);

    path = s_temp_file ("{\"supervisor.slots.ports\": \"6700,6701\"}");
    ck_assert_ptr_null (sq_config_load_file (path));
    ASSERT_ERROR ("'supervisor.slots.ports' expects a list of integers, got \"6700,6701\"");
    s_remove_file (&path);

    path = s_temp_file ("{\"topology.workers\": 2.5}");
    ck_assert_ptr_null (sq_config_load_file (path));
    ASSERT_ERROR ("expects an integer, got 2.5");
    s_remove_file (&path);

    //  Not an object.
    path = s_temp_file ("[1, 2]");
    ck_assert_ptr_null (sq_config_load_file (path));
    ASSERT_ERROR ("expects a JSON object, got [1,2]");
    s_remove_file (&path);

    //  Empty object is fine.
    path = s_temp_file ("{}");
    config = sq_config_load_file (path);
    ck_assert_ptr_nonnull (config);
    sq_config_destroy (&config);
    s_remove_file (&path);

    //  Missing file.
    ck_assert_ptr_null (sq_config_load_file ("/nonexistent/squall.json"));
    ASSERT_ERROR ("config file '/nonexistent/squall.json'");
}
END_TEST

START_TEST (test_merge_and_dup)
{
    sq_config_t *base = sq_config_new ();
    sq_config_set_int (base, "topology.workers", 2);
    sq_config_set (base, "wordcount.input", "a.txt");
    sq_config_set (base, "storm.zookeeper.servers", "zk1,zk2");

    sq_config_t *over = sq_config_new ();
    sq_config_set_int (over, "topology.workers", 5);
    sq_config_set_bool (over, "topology.debug", true);
    sq_config_set (over, "storm.zookeeper.servers", "zk9");

    sq_config_t *copy = sq_config_dup (base);
    sq_config_merge (base, over);
    ck_assert_int_eq (sq_config_int (base, "topology.workers", 0), 5);
    ck_assert (sq_config_bool (base, "topology.debug", false));
    ck_assert_str_eq (sq_config_string (base, "wordcount.input", NULL), "a.txt");
    ck_assert_uint_eq (json_array_size (sq_config_list (base, "storm.zookeeper.servers")), 1);
    ck_assert (!sq_config_has (base, "nimbus.port")); //  defaults are not merged

    //  The copy kept the old values; merge copied, did not share.
    ck_assert_int_eq (sq_config_int (copy, "topology.workers", 0), 2);
    ck_assert (!sq_config_has (copy, "topology.debug"));
    ck_assert_uint_eq (json_array_size (sq_config_list (copy, "storm.zookeeper.servers")), 2);
    ck_assert_ptr_ne (sq_config_list (base, "storm.zookeeper.servers"),
                      sq_config_list (over, "storm.zookeeper.servers"));
    sq_config_destroy (&over);
    ck_assert_uint_eq (json_array_size (sq_config_list (base, "storm.zookeeper.servers")), 1);

    sq_config_merge (base, base); //  harmless
    ck_assert_int_eq (sq_config_int (base, "topology.workers", 0), 5);
    sq_config_destroy (&base);
    sq_config_destroy (&copy);
}
END_TEST

START_TEST (test_json_round_trip)
{
    sq_config_t *config = sq_config_new ();
    sq_config_set_int (config, "topology.workers", 4);
    sq_config_set (config, "supervisor.slots.ports", "1,2");
    sq_config_set (config, "wordcount.input", "x");
    json_t *json = sq_config_to_json (config);
    ck_assert_uint_eq (json_object_size (json), 3);
    sq_config_t *back = sq_config_from_json (json);
    ck_assert_ptr_nonnull (back);
    json_t *again = sq_config_to_json (back);
    ck_assert (json_equal (json, again));
    json_decref (again);
    json_decref (json);

    json_t *bad = json_pack ("{s:b}", "topology.workers", 1);
    ck_assert_ptr_null (sq_config_from_json (bad));
    ASSERT_ERROR ("config key 'topology.workers' expects an integer, got true");
    json_decref (bad);
    json_t *not_object = json_string ("x");
    ck_assert_ptr_null (sq_config_from_json (not_object));
    json_decref (not_object);
    sq_config_destroy (&config);
    sq_config_destroy (&back);
}
END_TEST

static Suite *
s_suite (void)
{
    Suite *suite = suite_create ("sq_config");
    TCase *tcase = tcase_create ("config");
    tcase_add_test (tcase, test_defaults);
    tcase_add_test (tcase, test_key_table);
    tcase_add_test (tcase, test_set_each_type);
    tcase_add_test (tcase, test_ranges);
    tcase_add_test (tcase, test_wrong_types);
    tcase_add_test (tcase, test_unknown_keys);
    tcase_add_test (tcase, test_lists);
    tcase_add_test (tcase, test_load_file);
    tcase_add_test (tcase, test_merge_and_dup);
    tcase_add_test (tcase, test_json_round_trip);
    suite_add_tcase (suite, tcase);
    return suite;
}

int
main (void)
{
    SRunner *runner = srunner_create (s_suite ());
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    srunner_free (runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
