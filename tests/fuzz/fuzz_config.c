/*  fuzz_config - fuzz target for config files and -c key=value text

    The bytes are read as a JSON config (as --config FILE is), and, split at
    the first newline, as one -c option. Both must either give a config or
    a clean error, never crash, hang or leak. Built with libFuzzer by
    `make fuzz`, and replayed over tests/fuzz/corpus/config by `make check`.
*/
#include "sq_config.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    json_t *json = json_loadb ((const char *) data, size, 0, NULL);
    if (json) {
        sq_config_t *config = sq_config_from_json (json);
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
        //  Whatever was set reads back through every typed getter.
        char *equals = strchr (text, '=');
        *equals = 0;
        (void) sq_config_int (config, text, 0);
        (void) sq_config_double (config, text, 0);
        (void) sq_config_bool (config, text, false);
        (void) sq_config_string (config, text, NULL);
    }
    sq_config_destroy (&config);
    free (text);
    return 0;
}
