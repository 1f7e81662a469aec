package sqlstore

// NonTerminal selects batches whose status is not batchgate.Terminal. It is
// also the predicate of the batches_running index, which SQLite uses only
// when the query repeats it exactly.
const NonTerminal = `status NOT IN ('failed', 'completed', 'expired', 'cancelled')`

const nonTerminal = NonTerminal
