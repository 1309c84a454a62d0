/*  sq_windowed_bolt - runs an sq_windowed_bolt_t as a regular bolt

    A windowed bolt is a bolt whose callbacks are this module's (Storm's
    WindowedBoltExecutor): its execute puts each input into the task's
    window manager (sq_window.h) and its timer (run by the executor loop,
    no thread of its own) triggers duration windows and computes
    watermarks. The window's tuples stay with the task (flag
    SQ_TUPLE_WINDOWED) until they expire and are acked.
*/
#ifndef SQ_WINDOWED_BOLT_H_INCLUDED
#define SQ_WINDOWED_BOLT_H_INCLUDED

#include "sq_topology.h"
#include "sq_window.h"

//  Default of topology.bolts.window.max.tuples, and its ceiling (the most
//  edges one anchored tuple can carry).
#define SQ_WINDOW_MAX_TUPLES_DEFAULT 10000
#define SQ_WINDOW_MAX_TUPLES_CEILING 65535

//  The window of a component from its effective config (topology config
//  with the component's overrides) into *spec; 0, or -1 with
//  sq_last_error() naming the component and the problem: no valid window,
//  a window longer than the message timeout (durations) or than max spout
//  pending (counts), beyond topology.bolts.window.max.tuples, a late-tuple
//  stream without a timestamp field, not declared or narrower or wider
//  than an input stream, or a timestamp field missing from an input
//  stream.
int sq_windowed_bolt_check (const sq_component_t *component, const sq_config_t *config,
                            sq_window_spec_t *spec);
//  sq_windowed_bolt_check for every windowed bolt of a topology, with the
//  topology's config, then config (a submit's; may be NULL), then the
//  component's own overrides: nimbus's check at submit. 0 or -1.
int sq_windowed_bolts_check (const sq_topology_t *topology, const sq_config_t *config);

#endif
