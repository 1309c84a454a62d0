/*  nimbus_scheduler - decide which slot runs each executor of a topology

    One scheduling run works on a table of the free slots, sorted by
    supervisor id and port (so one supervisor's slots are adjacent), and a
    table of the executors sorted by first task (so one component's
    executors are adjacent). Steps: keep what may stay (s_keep), pick the
    slots (s_choose_slots), rank them round-robin (s_rank_slots), place the
    executors still without a slot (s_place), write the assignment.

    Every step is near-linear in slots and executors, so that 40,000
    executors over 4,000 slots take milliseconds: the used slots are
    sorted and searched, the supervisor to give the next slot is the top of
    a heap of supervisors, and the slot for the next executor is the top
    of a heap of the chosen slots ordered by (load, load of the component
    being placed, round-robin order). That heap picks exactly the slot a
    scan of every chosen slot would; between components only the slots
    that the previous component touched have their component load reset.
*/
#include "nimbus_scheduler.h"
#include "sq_error.h"
#include "sq_task_layout.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NO_SLOT ((size_t) -1) //  placement of an executor without a slot yet

//  A free slot and what this run put on it.
typedef struct {
    const sq_supervisor_info_t *supervisor; //  owner of the port
    size_t supervisor_index;                //  its index in the input, for stable sorting
    int port;                               //  the slot port
    size_t group;                           //  index of its supervisor's group
    bool chosen;                            //  the topology gets a worker here
    bool kept;                              //  chosen because the current assignment had it
    size_t load;                            //  executors placed here
    size_t order;                           //  position in round-robin order, when chosen
    size_t rank;                            //  index among its supervisor's chosen slots
    int worker;                             //  index of its worker in the result
} s_slot_t;

//  The slots of one supervisor: slots[start, end).
typedef struct {
    size_t start;  //  first slot
    size_t end;    //  past the last slot
    size_t chosen; //  how many are chosen
    size_t next;   //  no free unchosen slot before this one
} s_group_t;

//  An executor and the slot it is placed on.
typedef struct {
    const nimbus_executor_t *executor; //  the executor (borrowed from the input)
    size_t slot;                       //  index in the slot table, or S_NO_SLOT
} s_placement_t;

//  One scheduling run.
typedef struct {
    const nimbus_scheduler_input_t *input; //  what we schedule from
    s_slot_t *slots;                       //  free slots, by supervisor id and port
    size_t slot_count;                     //  number of free slots
    s_group_t *groups;                     //  slots per supervisor, by supervisor id
    size_t group_count;                    //  number of supervisors with free slots
    s_placement_t *placements;             //  executors, by first task
    size_t executor_count;                 //  number of executors
    size_t *ranked;                        //  chosen slots in round-robin order
    size_t chosen_count;                   //  number of chosen slots
    nimbus_slot_t *used;                   //  used slots, sorted by supervisor id and port
} s_run_t;

//  An item of a heap, and its key (compared in order, smallest first).
typedef struct {
    size_t key[3]; //  the key, most significant first
    size_t item;   //  index of what it stands for
} s_heap_entry_t;

//  A binary min-heap; `positions` (may be NULL) holds each item's place in
//  `entries`, kept up to date so an item's key can change in place.
typedef struct {
    s_heap_entry_t *entries; //  the heap array
    size_t count;            //  entries in it
    size_t *positions;       //  entry index by item, or NULL
} s_heap_t;

static int
s_compare_slots (const void *a, const void *b)
{
    const s_slot_t *left = a, *right = b;
    int order = strcmp (left->supervisor->id, right->supervisor->id);
    if (order == 0)
        order = (left->port > right->port) - (left->port < right->port);
    if (order == 0)
        order = (left->supervisor_index > right->supervisor_index) -
                (left->supervisor_index < right->supervisor_index);
    return order;
}

static int
s_compare_placements (const void *a, const void *b)
{
    const s_placement_t *left = a, *right = b;
    return (left->executor->first_task > right->executor->first_task) -
           (left->executor->first_task < right->executor->first_task);
}

static int
s_compare_used (const void *a, const void *b)
{
    const nimbus_slot_t *left = a, *right = b;
    int order = strcmp (left->supervisor_id, right->supervisor_id);
    return order ? order : (left->port > right->port) - (left->port < right->port);
}

static bool
s_slot_is_used (const s_run_t *self, const char *supervisor_id, int port)
{
    nimbus_slot_t key = {.supervisor_id = supervisor_id, .port = port};
    return self->input->used_slot_count > 0 &&
           bsearch (&key, self->used, self->input->used_slot_count, sizeof key, s_compare_used) !=
               NULL;
}

static inline bool
s_heap_less (const s_heap_entry_t *left, const s_heap_entry_t *right)
{
    for (int k = 0; k < 3; k++)
        if (left->key[k] != right->key[k])
            return left->key[k] < right->key[k];
    return false;
}

static inline void
s_heap_swap (s_heap_t *heap, size_t a, size_t b)
{
    s_heap_entry_t entry = heap->entries[a];
    heap->entries[a] = heap->entries[b];
    heap->entries[b] = entry;
    if (heap->positions) {
        heap->positions[heap->entries[a].item] = a;
        heap->positions[heap->entries[b].item] = b;
    }
}

static void
s_heap_sift_up (s_heap_t *heap, size_t at)
{
    while (at > 0 && s_heap_less (&heap->entries[at], &heap->entries[(at - 1) / 2])) {
        s_heap_swap (heap, at, (at - 1) / 2);
        at = (at - 1) / 2;
    }
}

static void
s_heap_sift_down (s_heap_t *heap, size_t at)
{
    while (true) {
        size_t least = at, left = 2 * at + 1, right = 2 * at + 2;
        if (left < heap->count && s_heap_less (&heap->entries[left], &heap->entries[least]))
            least = left;
        if (right < heap->count && s_heap_less (&heap->entries[right], &heap->entries[least]))
            least = right;
        if (least == at)
            return;
        s_heap_swap (heap, at, least);
        at = least;
    }
}

//  Order heap->entries[0, count) into a heap.
static void
s_heap_build (s_heap_t *heap)
{
    if (heap->positions)
        for (size_t i = 0; i < heap->count; i++)
            heap->positions[heap->entries[i].item] = i;
    for (size_t i = heap->count / 2; i-- > 0;)
        s_heap_sift_down (heap, i);
}

//  Fill the slot and group tables with the free slots. 0 or -1.
static int
s_find_free_slots (s_run_t *self)
{
    const nimbus_scheduler_input_t *input = self->input;
    size_t total = 0;
    for (size_t s = 0; s < input->supervisor_count; s++) {
        assert (input->supervisors[s]);
        total += input->supervisors[s]->port_count;
    }
    self->slots = calloc (total ? total : 1, sizeof (s_slot_t));
    self->groups = calloc (total ? total : 1, sizeof (s_group_t));
    self->ranked = calloc (total ? total : 1, sizeof (size_t));
    self->used =
        calloc (input->used_slot_count ? input->used_slot_count : 1, sizeof (nimbus_slot_t));
    if (!self->slots || !self->groups || !self->ranked || !self->used)
        return sq_error_set ("out of memory");
    if (input->used_slot_count) {
        memcpy (self->used, input->used_slots, input->used_slot_count * sizeof (nimbus_slot_t));
        qsort (self->used, input->used_slot_count, sizeof (nimbus_slot_t), s_compare_used);
    }
    for (size_t s = 0; s < input->supervisor_count; s++) {
        const sq_supervisor_info_t *supervisor = input->supervisors[s];
        for (size_t p = 0; p < supervisor->port_count; p++) {
            int port = supervisor->ports[p];
            if (port < 1 || port > 65535 || s_slot_is_used (self, supervisor->id, port))
                continue;
            self->slots[self->slot_count++] = (s_slot_t){
                .supervisor = supervisor, .supervisor_index = s, .port = port, .worker = -1};
        }
    }
    qsort (self->slots, self->slot_count, sizeof (s_slot_t), s_compare_slots);
    //  Drop repeats (one supervisor listed twice, or a port listed twice).
    size_t kept = 0;
    for (size_t i = 0; i < self->slot_count; i++)
        if (kept == 0 || self->slots[i].port != self->slots[kept - 1].port ||
            strcmp (self->slots[i].supervisor->id, self->slots[kept - 1].supervisor->id) != 0)
            self->slots[kept++] = self->slots[i];
    self->slot_count = kept;
    for (size_t i = 0; i < self->slot_count; i++) {
        if (i == 0 ||
            strcmp (self->slots[i].supervisor->id, self->slots[i - 1].supervisor->id) != 0)
            self->groups[self->group_count++] = (s_group_t){.start = i, .end = i, .next = i};
        self->slots[i].group = self->group_count - 1;
        self->groups[self->group_count - 1].end = i + 1;
    }
    return 0;
}

//  Index of the free slot supervisor_id:port, or S_NO_SLOT.
static size_t
s_find_slot (const s_run_t *self, const char *supervisor_id, int port)
{
    size_t low = 0, high = self->slot_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        const s_slot_t *slot = &self->slots[middle];
        int order = strcmp (slot->supervisor->id, supervisor_id);
        if (order == 0)
            order = (slot->port > port) - (slot->port < port);
        if (order == 0)
            return middle;
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return S_NO_SLOT;
}

//  Index of the executor with exactly this range, or S_NO_SLOT.
static size_t
s_find_executor (const s_run_t *self, sq_task_range_t range)
{
    size_t low = 0, high = self->executor_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        const nimbus_executor_t *executor = self->placements[middle].executor;
        if (executor->first_task == range.first_task)
            return executor->last_task == range.last_task ? middle : S_NO_SLOT;
        if (executor->first_task < range.first_task)
            low = middle + 1;
        else
            high = middle;
    }
    return S_NO_SLOT;
}

//  Give each chosen slot its rank among its supervisor's chosen slots,
//  and list the chosen slots in round-robin order: every supervisor's
//  first slot (by supervisor id), then every second slot, ... A counting
//  sort by rank, stable in slot order (which is supervisor id order).
static void
s_rank_slots (s_run_t *self)
{
    size_t most = 0;
    for (size_t g = 0; g < self->group_count; g++) {
        size_t rank = 0;
        for (size_t i = self->groups[g].start; i < self->groups[g].end; i++)
            if (self->slots[i].chosen)
                self->slots[i].rank = rank++;
        self->groups[g].chosen = rank;
        if (rank > most)
            most = rank;
    }
    //  ranked[] first holds, per rank, where that rank's slots begin.
    size_t *starts = self->ranked;
    memset (starts, 0, self->slot_count * sizeof (size_t));
    for (size_t i = 0; i < self->slot_count; i++)
        if (self->slots[i].chosen && self->slots[i].rank + 1 < most)
            starts[self->slots[i].rank + 1]++;
    for (size_t rank = 1; rank < most; rank++)
        starts[rank] += starts[rank - 1];
    //  Each chosen slot's order; then ranked[] is rewritten from the orders.
    self->chosen_count = 0;
    for (size_t i = 0; i < self->slot_count; i++)
        if (self->slots[i].chosen) {
            self->slots[i].order = starts[self->slots[i].rank]++;
            self->chosen_count++;
        }
    for (size_t i = 0; i < self->slot_count; i++)
        if (self->slots[i].chosen)
            self->ranked[self->slots[i].order] = i;
}

//  Keep the executors of the current assignment whose slot is still free
//  to us, on at most `target` slots.
static void
s_keep (s_run_t *self, size_t target)
{
    const sq_assignment_t *current = self->input->current;
    if (!current || strcmp (current->topology_id, self->input->topology_id) != 0)
        return;
    for (size_t w = 0; w < current->worker_count; w++) {
        const sq_assignment_worker_t *worker = &current->workers[w];
        size_t slot = s_find_slot (self, worker->supervisor_id, worker->port);
        if (slot == S_NO_SLOT)
            continue; //  its supervisor is gone, or another topology holds the slot
        for (size_t e = 0; e < worker->executor_count; e++) {
            size_t index = s_find_executor (self, worker->executors[e]);
            if (index == S_NO_SLOT || self->placements[index].slot != S_NO_SLOT)
                continue; //  not an executor of this topology (any more)
            self->placements[index].slot = slot;
            self->slots[slot].chosen = self->slots[slot].kept = true;
            self->slots[slot].load++;
        }
    }
    //  Fewer workers wanted than kept: give up the last kept slots in
    //  round-robin order; their executors move.
    s_rank_slots (self);
    if (self->chosen_count <= target)
        return;
    for (size_t i = target; i < self->chosen_count; i++) {
        s_slot_t *slot = &self->slots[self->ranked[i]];
        slot->chosen = slot->kept = false;
        slot->load = 0;
    }
    for (size_t p = 0; p < self->executor_count; p++)
        if (self->placements[p].slot != S_NO_SLOT && !self->slots[self->placements[p].slot].chosen)
            self->placements[p].slot = S_NO_SLOT;
}

//  Choose slots until there are `target`, or one per executor without a
//  slot: each time from the supervisor with the fewest chosen slots (ties:
//  lowest id), its lowest free port. 0 or -1.
static int
s_choose_slots (s_run_t *self, size_t target)
{
    size_t chosen = 0, unplaced = 0;
    for (size_t g = 0; g < self->group_count; g++) {
        self->groups[g].chosen = 0;
        for (size_t i = self->groups[g].start; i < self->groups[g].end; i++)
            self->groups[g].chosen += self->slots[i].chosen;
        chosen += self->groups[g].chosen;
    }
    for (size_t p = 0; p < self->executor_count; p++)
        unplaced += self->placements[p].slot == S_NO_SLOT;
    size_t wanted = chosen < target ? target - chosen : 0;
    if (wanted > unplaced)
        wanted = unplaced;
    //  A heap of the supervisors that still have an unchosen slot, by
    //  (slots chosen, id order).
    s_heap_t heap = {
        .entries = calloc (self->group_count ? self->group_count : 1, sizeof (s_heap_entry_t))};
    if (!heap.entries)
        return sq_error_set ("out of memory");
    for (size_t g = 0; g < self->group_count; g++)
        if (self->groups[g].chosen < self->groups[g].end - self->groups[g].start)
            heap.entries[heap.count++] = (s_heap_entry_t){{self->groups[g].chosen, g, 0}, g};
    s_heap_build (&heap);
    while (wanted-- > 0 && heap.count > 0) {
        s_group_t *best = &self->groups[heap.entries[0].item];
        while (self->slots[best->next].chosen)
            best->next++;
        self->slots[best->next].chosen = true;
        heap.entries[0].key[0] = ++best->chosen;
        if (best->chosen == best->end - best->start)
            heap.entries[0] = heap.entries[--heap.count];
        s_heap_sift_down (&heap, 0);
    }
    free (heap.entries);
    return 0;
}

//  Place each executor without a slot on the chosen slot with the fewest
//  executors, then the fewest of its component, then earliest in
//  round-robin order. 0 or -1.
static int
s_place (s_run_t *self)
{
    //  A heap of the chosen slots by (load, component load, order); the
    //  loads live in the heap while placing and go back to the slots.
    s_heap_t heap = {.entries = calloc (self->chosen_count + 1, sizeof (s_heap_entry_t)),
                     .count = self->chosen_count,
                     .positions = calloc (self->slot_count + 1, sizeof (size_t))};
    if (!heap.entries || !heap.positions) {
        free (heap.entries);
        free (heap.positions);
        return sq_error_set ("out of memory");
    }
    for (size_t i = 0; i < self->chosen_count; i++)
        heap.entries[i] =
            (s_heap_entry_t){{self->slots[self->ranked[i]].load, 0, i}, self->ranked[i]};
    s_heap_build (&heap);
    size_t run_start = 0, previous_start = 0;
    while (run_start < self->executor_count) {
        const char *component = self->placements[run_start].executor->component_id;
        size_t run_end = run_start + 1;
        while (run_end < self->executor_count &&
               (self->placements[run_end].executor->component_id == component ||
                strcmp (self->placements[run_end].executor->component_id, component) == 0))
            run_end++;
        //  Only the slots of the previous component's executors carry a
        //  component load; clear it.
        for (size_t p = previous_start; p < run_start; p++) {
            size_t at = heap.positions[self->placements[p].slot];
            if (heap.entries[at].key[1] > 0) {
                heap.entries[at].key[1] = 0;
                s_heap_sift_up (&heap, at);
            }
        }
        for (size_t p = run_start; p < run_end; p++)
            if (self->placements[p].slot != S_NO_SLOT) {
                size_t at = heap.positions[self->placements[p].slot];
                heap.entries[at].key[1]++;
                s_heap_sift_down (&heap, at);
            }
        for (size_t p = run_start; p < run_end; p++) {
            if (self->placements[p].slot != S_NO_SLOT)
                continue;
            self->placements[p].slot = heap.entries[0].item;
            self->slots[heap.entries[0].item].load++;
            heap.entries[0].key[0]++;
            heap.entries[0].key[1]++;
            s_heap_sift_down (&heap, 0);
        }
        previous_start = run_start;
        run_start = run_end;
    }
    free (heap.entries);
    free (heap.positions);
    return 0;
}

//  The assignment of a finished run. Caller owns; NULL on error.
static sq_assignment_t *
s_result (s_run_t *self)
{
    const nimbus_scheduler_input_t *input = self->input;
    sq_assignment_t *result = sq_assignment_new (input->topology_name, input->topology_id);
    if (!result)
        return NULL;
    for (size_t i = 0; i < self->slot_count; i++) {
        s_slot_t *slot = &self->slots[i];
        if (slot->chosen && slot->load > 0) {
            slot->worker = sq_assignment_add_worker (result, slot->supervisor->id,
                                                     slot->supervisor->host, slot->port);
            if (slot->worker < 0) {
                sq_assignment_destroy (&result);
                return NULL;
            }
        }
    }
    for (size_t p = 0; p < self->executor_count; p++) {
        const nimbus_executor_t *executor = self->placements[p].executor;
        assert (self->placements[p].slot != S_NO_SLOT);
        if (sq_assignment_add_executor (result,
                                        (size_t) self->slots[self->placements[p].slot].worker,
                                        executor->first_task, executor->last_task)) {
            sq_assignment_destroy (&result);
            return NULL;
        }
    }
    const sq_assignment_t *current = input->current;
    if (!current)
        result->generation = 1;
    else if (strcmp (current->topology_id, input->topology_id) == 0 &&
             sq_assignment_same_placement (result, current))
        result->generation = current->generation;
    else
        result->generation = current->generation + 1;
    if (sq_assignment_validate (result)) {
        char reason[400];
        snprintf (reason, sizeof reason, "%s", sq_last_error ());
        sq_error_set ("topology '%s': cannot schedule: %s", input->topology_name, reason);
        sq_assignment_destroy (&result);
    }
    return result;
}

//  Check the executors and sort them into the placement table. 0 or -1.
static int
s_load_executors (s_run_t *self)
{
    const nimbus_scheduler_input_t *input = self->input;
    if (input->executor_count == 0)
        return sq_error_set ("topology '%s' has no executors to schedule", input->topology_name);
    self->placements = calloc (input->executor_count, sizeof (s_placement_t));
    if (!self->placements)
        return sq_error_set ("out of memory");
    for (size_t i = 0; i < input->executor_count; i++) {
        const nimbus_executor_t *executor = &input->executors[i];
        assert (executor->component_id);
        if (executor->first_task < 1 || executor->first_task > executor->last_task ||
            executor->last_task > SQ_TASK_LAYOUT_MAX_TASK)
            return sq_error_set ("topology '%s': executor %zu of '%s' has task range [%d, %d]",
                                 input->topology_name, i, executor->component_id,
                                 executor->first_task, executor->last_task);
        self->placements[i] = (s_placement_t){.executor = executor, .slot = S_NO_SLOT};
    }
    self->executor_count = input->executor_count;
    bool sorted = true; //  as nimbus_scheduler_executors gives them
    for (size_t i = 1; i < self->executor_count && sorted; i++)
        sorted = s_compare_placements (&self->placements[i - 1], &self->placements[i]) < 0;
    if (!sorted)
        qsort (self->placements, self->executor_count, sizeof (s_placement_t),
               s_compare_placements);
    for (size_t i = 1; i < self->executor_count; i++)
        if (self->placements[i].executor->first_task <= self->placements[i - 1].executor->last_task)
            return sq_error_set ("topology '%s': executors [%d, %d] and [%d, %d] share tasks",
                                 input->topology_name, self->placements[i - 1].executor->first_task,
                                 self->placements[i - 1].executor->last_task,
                                 self->placements[i].executor->first_task,
                                 self->placements[i].executor->last_task);
    return 0;
}

static sq_assignment_t *
s_schedule (const nimbus_scheduler_input_t *input, int workers, bool keep)
{
    assert (input);
    assert (input->topology_name);
    assert (input->topology_id);
    assert (input->executors || input->executor_count == 0);
    assert (input->supervisors || input->supervisor_count == 0);
    assert (input->used_slots || input->used_slot_count == 0);
    if (workers < 1) {
        sq_error_set ("topology '%s': workers must be at least 1, got %d", input->topology_name,
                      workers);
        return NULL;
    }
    s_run_t run = {.input = input};
    sq_assignment_t *result = NULL;
    if (s_load_executors (&run) || s_find_free_slots (&run))
        goto done;
    if (run.slot_count == 0) {
        if (input->supervisor_count == 0)
            sq_error_set ("topology '%s': no free slot: no supervisor is alive",
                          input->topology_name);
        else
            sq_error_set ("topology '%s': no free slot: every slot of the %zu live "
                          "supervisor(s) is used by other topologies",
                          input->topology_name, input->supervisor_count);
        goto done;
    }
    size_t target = (size_t) workers;
    if (target > run.slot_count)
        target = run.slot_count;
    if (target > run.executor_count)
        target = run.executor_count;
    if (keep)
        s_keep (&run, target);
    if (s_choose_slots (&run, target))
        goto done;
    s_rank_slots (&run);
    if (s_place (&run))
        goto done;
    result = s_result (&run);
done:
    free (run.used);
    free (run.slots);
    free (run.groups);
    free (run.ranked);
    free (run.placements);
    return result;
}

sq_assignment_t *
nimbus_scheduler_schedule (const nimbus_scheduler_input_t *input)
{
    assert (input);
    return s_schedule (input, input->workers, true);
}

sq_assignment_t *
nimbus_scheduler_rebalance (const nimbus_scheduler_input_t *input, int workers)
{
    return s_schedule (input, workers, false);
}

nimbus_executor_t *
nimbus_scheduler_executors (const sq_topology_t *topology, const sq_config_t *config,
                            size_t *count_p)
{
    assert (topology);
    assert (count_p);
    *count_p = 0;
    if (sq_topology_validate (topology))
        return NULL;
    sq_task_layout_t *layout = sq_task_layout_from_config (topology, config);
    if (!layout)
        return NULL;
    size_t count = layout->executor_count, names_size = 0;
    for (size_t c = 0; c < layout->component_count; c++)
        names_size += strlen (layout->components[c].component_id) + 1;
    //  One allocation: the executors, an empty terminator, then the names.
    nimbus_executor_t *executors = malloc ((count + 1) * sizeof (nimbus_executor_t) + names_size);
    if (!executors) {
        sq_task_layout_destroy (&layout);
        sq_error_set ("out of memory");
        return NULL;
    }
    char *names = (char *) (executors + count + 1);
    for (size_t c = 0; c < layout->component_count; c++) {
        const sq_task_layout_component_t *component = &layout->components[c];
        strcpy (names, component->component_id);
        for (size_t e = component->first_executor;
             e < component->first_executor + component->executor_count; e++)
            executors[e] = (nimbus_executor_t){.component_id = names,
                                               .first_task = layout->executors[e].first_task,
                                               .last_task = layout->executors[e].last_task};
        names += strlen (names) + 1;
    }
    executors[count] = (nimbus_executor_t){.component_id = NULL};
    *count_p = count;
    sq_task_layout_destroy (&layout);
    return executors;
}

void
nimbus_scheduler_executors_destroy (nimbus_executor_t **executors_p)
{
    assert (executors_p);
    free (*executors_p);
    *executors_p = NULL;
}
