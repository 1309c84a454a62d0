/*  fuzz_config - fuzz target for config files and -c key=value text

    The bytes are read as a JSON config (as --config FILE is; verdict
    "json"), and, split at the first newline, as one -c option (verdict
    "option"). Both must either give a config or a clean error, never
    crash, hang or leak. A config either way gives must survive its JSON
    form (to JSON, back, and to the same JSON again) and hold the keys it
    was given. Built with libFuzzer by `make fuzz`, and replayed over
    tests/fuzz/corpus/config by `make check`.
*/
#include "fuzz_target.h"
#include "sq_config.h"

char fuzz_verdict[FUZZ_VERDICT_SIZE];

//  A config reads back from its own JSON as the same config; keys of the
//  JSON it holds.
static void
s_check_json_form (const sq_config_t *config, size_t keys)
{
    json_t *json = sq_config_to_json (config);
    FUZZ_REQUIRE (json && json_object_size (json) == keys, "a config holds the keys it was given");
    sq_config_t *again = sq_config_from_json (json);
    FUZZ_REQUIRE (again, "a config's JSON form is a valid config");
    json_t *json_again = sq_config_to_json (again);
    FUZZ_REQUIRE (json_equal (json, json_again), "a config survives its JSON form");
    json_decref (json_again);
    sq_config_destroy (&again);
    json_decref (json);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_verdict_reset ();
    json_t *json = json_loadb ((const char *) data, size, 0, NULL);
    if (json) {
        sq_config_t *config = sq_config_from_json (json);
        if (config) {
            fuzz_accepted ("json");
            s_check_json_form (config, json_object_size (json));
        }
        sq_config_destroy (&config);
        json_decref (json);
    }
    char *text = malloc (size + 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    text[size] = 0;
    char *newline = strchr (text, '\n');
    if (newline)
        *newline = 0;
    sq_config_t *config = sq_config_new ();
    if (sq_config_set_option (config, text) == 0) {
        fuzz_accepted ("option");
        //  Whatever was set reads back through every typed getter.
        char *equals = strchr (text, '=');
        FUZZ_REQUIRE (equals && equals > text, "an option has a key");
        *equals = 0;
        FUZZ_REQUIRE (sq_config_json (config, text), "an option sets its key");
        (void) sq_config_int (config, text, 0);
        (void) sq_config_double (config, text, 0);
        (void) sq_config_bool (config, text, false);
        (void) sq_config_string (config, text, NULL);
        s_check_json_form (config, 1);
    }
    sq_config_destroy (&config);
    free (text);
    return 0;
}
