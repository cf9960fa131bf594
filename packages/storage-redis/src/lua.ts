import { type Script, script } from './commands.ts';

/**
 * The Lua scripts, one per storage operation. Each runs atomically on the server and touches
 * one hash slot: the keys of one run plus the status indexes of its bucket (see `keys.ts`).
 *
 * Conventions: numbers arrive as decimal strings from the client and are compared with
 * `tonumber` (exact for epoch milliseconds); the scripts never format a number, so no precision
 * is lost to Lua's `%.14g`. They never compare strings for order either (Lua's `<` on strings
 * follows the server's locale), only for equality. Replies are arrays of strings.
 */

// Head hash fields: runId, status, owner (absent = null), lease, attempt, createdAt, updatedAt,
// error (absent = null), claimedFrom (kept with the owner: the status its claim found, '' when the
// claim created the run, so that a resent claim answers as the first did). For a suspended run,
// lease is its wake time.
//
// Redis does not undo a script that fails half-way. The only call that can fail is a ZREM/ZADD on
// the index of a status a script does not know (KEYS[nil]), so the scripts move the index entry
// before they change the head.

/**
 * Index of a status in the KEYS of the scripts that receive the run keys then one index per
 * status, in the order of STATUSES (`keys.ts`).
 */
const INDEX_OF = `local INDEX = { running = 5, completed = 6, failed = 7, compensated = 8, suspended = 9, cancelled = 10 }`;

/**
 * The fence of every owner's write (`contract.ts`): 'lease-lost' when another owner (or none)
 * holds the run, 'cancelled' when this owner holds a cancelled run (only undoing is applied then),
 * else 'ok'.
 */
const FENCE = `
local function fence(head, owner)
  local state = redis.call('HMGET', head, 'owner', 'status')
  if state[1] ~= owner then return 'lease-lost' end
  if state[2] == 'cancelled' then return 'cancelled' end
  return 'ok'
end`;

/**
 * KEYS: head, steps, signals, cleanups, index running, completed, failed, compensated, suspended,
 * cancelled. ARGV: runId, member, owner, now, leaseExpiresAt, ifOwner ('' when hasIfOwner is '0'),
 * hasIfOwner, ifLeaseExpiresAt ('' for none: the lease is then not compared). Replies kind, head, steps, cleanups and, when claimed, the status before ('' when
 * created); { 'busy', head }; or { 'not-found' } (only with ifOwner).
 */
export const CLAIM: Script = script(`${INDEX_OF}
local head, member, owner, now = KEYS[1], ARGV[2], ARGV[3], ARGV[4]
local ifOwner = ARGV[7] == '1' and ARGV[6] or nil
local function snapshot(kind, previous)
  return { kind, redis.call('HGETALL', head), redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[4]), previous }
end
local status = redis.call('HGET', head, 'status')
if not status then
  -- a takeover of exactly one owner's run never creates one
  if ifOwner then return { 'not-found' } end
  -- absent, or expired after completion: drop leftovers of an expired run, then create
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
  for i = 5, 10 do redis.call('ZREM', KEYS[i], member) end
  redis.call('HSET', head, 'runId', ARGV[1], 'status', 'running', 'owner', owner, 'lease', ARGV[5],
    'attempt', 1, 'createdAt', now, 'updatedAt', now, 'claimedFrom', '')
  redis.call('ZADD', KEYS[INDEX.running], now, member)
  return snapshot('claimed', '')
end
if status == 'completed' then return snapshot('completed', status) end
local holder = redis.call('HGET', head, 'owner')
-- owner tokens are unique per load: this very claim arrived twice, answer as the first did
if holder == owner then return snapshot('claimed', redis.call('HGET', head, 'claimedFrom') or '') end
if ifOwner then
  -- exactly the run the caller saw: that owner, and (if given) a lease not renewed since
  if holder ~= ifOwner or (ARGV[8] ~= '' and tonumber(redis.call('HGET', head, 'lease')) ~= tonumber(ARGV[8])) then
    return { 'busy', redis.call('HGETALL', head) }
  end
elseif holder and tonumber(redis.call('HGET', head, 'lease')) > tonumber(now) then
  return { 'busy', redis.call('HGETALL', head) }
end
-- a cancelled run stays cancelled: its new owner only runs its cleanups
local target = status == 'cancelled' and 'cancelled' or 'running'
redis.call('ZREM', KEYS[INDEX[status]], member)
redis.call('ZADD', KEYS[INDEX[target]], now, member)
redis.call('HSET', head, 'status', target, 'owner', owner, 'lease', ARGV[5], 'updatedAt', now,
  'claimedFrom', status)
redis.call('HINCRBY', head, 'attempt', 1)
return snapshot('claimed', status)
`);

/**
 * KEYS: head, steps. ARGV: owner, step key, stored record. The write is the fence's read and one
 * HSETNX: nothing else is kept per step (a rollback finds the seqs in the records themselves).
 */
export const PUT_STEP: Script = script(`${FENCE}
local fenced = fence(KEYS[1], ARGV[1])
if fenced ~= 'ok' then return { fenced } end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 1 then return { 'written' } end
return { 'exists', redis.call('HGET', KEYS[2], ARGV[2]) }
`);

/**
 * Several PUT_STEPs of runs of one bucket (one slot), in order, each fenced on its own.
 * KEYS: head and steps of each request. ARGV: owner, step key and stored record of each request.
 * Replies one PUT_STEP reply per request.
 */
export const PUT_STEPS: Script = script(`${FENCE}
local out = {}
for i = 1, #KEYS / 2 do
  local head, steps = KEYS[2 * i - 1], KEYS[2 * i]
  local owner, key, stored = ARGV[3 * i - 2], ARGV[3 * i - 1], ARGV[3 * i]
  local fenced = fence(head, owner)
  if fenced ~= 'ok' then
    out[i] = { fenced }
  elseif redis.call('HSETNX', steps, key, stored) == 1 then
    out[i] = { 'written' }
  else
    out[i] = { 'exists', redis.call('HGET', steps, key) }
  end
end
return out
`);

/** KEYS: head, cleanups. ARGV: owner, id, stored record. */
export const PUT_CLEANUP: Script = script(`${FENCE}
local fenced = fence(KEYS[1], ARGV[1])
if fenced == 'ok' then redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) end
return fenced
`);

/**
 * KEYS: head, cleanups, steps. ARGV: owner, id, then (closing a window) the record's key and
 * stored record, stored unless that key exists (first one stays, as PUT_STEP).
 */
export const REMOVE_CLEANUP: Script = script(`${FENCE}
local fenced = fence(KEYS[1], ARGV[1])
if fenced ~= 'ok' then return fenced end
redis.call('HDEL', KEYS[2], ARGV[2])
if ARGV[3] then redis.call('HSETNX', KEYS[3], ARGV[3], ARGV[4]) end
return fenced
`);

/**
 * KEYS: head, steps, cleanups. ARGV: owner, cleanup id, afterSeq. Applied on a cancelled run.
 * The steps after afterSeq are found by reading each record's seq (its JSON head, before the
 * newline): rollbacks are rare, steps are many, so no per-step index is kept for them. Signals
 * have seq 0 and afterSeq is never negative: they stay.
 */
export const ROLLBACK: Script = script(`${FENCE}
local fenced = fence(KEYS[1], ARGV[1])
if fenced == 'lease-lost' then return fenced end
redis.call('HDEL', KEYS[3], ARGV[2])
local after = tonumber(ARGV[3])
local records = redis.call('HGETALL', KEYS[2])
local doomed = {}
for i = 1, #records, 2 do
  local stored = records[i + 1]
  local newline = string.find(stored, '\\n', 1, true)
  if cjson.decode(string.sub(stored, 1, newline - 1))[2] > after then doomed[#doomed + 1] = records[i] end
end
-- unpack has a limit on its arguments: delete in chunks
for i = 1, #doomed, 1000 do redis.call('HDEL', KEYS[2], unpack(doomed, i, math.min(i + 999, #doomed))) end
return fenced
`);

/**
 * KEYS: head, steps, signals, cleanups, then the six status indexes (see CLAIM).
 * ARGV: owner, member, leaseExpiresAt, now. Applied on a cancelled run.
 */
export const SET_LEASE: Script = script(`${INDEX_OF}${FENCE}
local fenced = fence(KEYS[1], ARGV[1])
if fenced == 'lease-lost' then return fenced end
redis.call('ZADD', KEYS[INDEX[redis.call('HGET', KEYS[1], 'status')]], ARGV[4], ARGV[2])
redis.call('HSET', KEYS[1], 'lease', ARGV[3], 'updatedAt', ARGV[4])
return fenced
`);

/**
 * KEYS: head, steps, signals, cleanups, then the six status indexes (see CLAIM).
 * ARGV: owner, member, status (completed, failed, compensated or cancelled), at,
 * error ('' when hasError is '0'), hasError, dropCleanups ('1'|'0'),
 * expire completed runs after this many seconds ('0': never).
 */
export const FINISH: Script = script(`${INDEX_OF}
local head, member, status, at = KEYS[1], ARGV[2], ARGV[3], ARGV[4]
local state = redis.call('HMGET', head, 'owner', 'status')
local owner, current = state[1], state[2]
if owner ~= ARGV[1] then
  -- a resent finish (its first reply lost) must not report a finished run as lost
  if owner == false and current == status then return 'ok' end
  return 'lease-lost'
end
-- a cancelled run may only be finished cancelled (its cleanups ran)
if current == 'cancelled' and status ~= 'cancelled' then return 'cancelled' end
local to = KEYS[INDEX[status]]
if not to then return redis.error_reply('durable-x finish: unknown status ' .. status) end
redis.call('ZREM', KEYS[INDEX[current]], member)
redis.call('ZADD', to, at, member)
redis.call('HSET', head, 'status', status, 'lease', 0, 'updatedAt', at)
redis.call('HDEL', head, 'owner', 'claimedFrom')
if ARGV[6] == '1' then redis.call('HSET', head, 'error', ARGV[5]) else redis.call('HDEL', head, 'error') end
if ARGV[7] == '1' then redis.call('DEL', KEYS[4]) end
local ttl = tonumber(ARGV[8])
if status == 'completed' and ttl > 0 then
  for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end
end
if current == 'cancelled' then return 'cancelled' end
return 'ok'
`);

/**
 * KEYS: head, steps, signals, cleanups, then the six status indexes (see CLAIM).
 * ARGV: owner, member, at, wakeAt, signal key ('' when hasSignalKey is '0'), hasSignalKey.
 * Replies { 'suspended', wake time stored }, { 'lease-lost' } or { 'cancelled' }.
 */
export const SUSPEND: Script = script(`${INDEX_OF}
local head, member, at = KEYS[1], ARGV[2], ARGV[3]
local state = redis.call('HMGET', head, 'owner', 'status')
local owner, status = state[1], state[2]
-- a resent suspend (its first reply lost) answers the wake time it stored
if status == 'suspended' and owner == false then return { 'suspended', redis.call('HGET', head, 'lease') } end
if owner ~= ARGV[1] then return { 'lease-lost' } end
if status == 'cancelled' then return { 'cancelled' } end
-- the awaited signal arrived while the run was deciding to wait: due at once
local due = ARGV[4]
if ARGV[6] == '1' and redis.call('HEXISTS', KEYS[2], ARGV[5]) == 1 then due = at end
redis.call('ZREM', KEYS[INDEX[status]], member)
redis.call('ZADD', KEYS[INDEX.suspended], at, member)
redis.call('HSET', head, 'status', 'suspended', 'lease', due, 'updatedAt', at)
redis.call('HDEL', head, 'owner', 'claimedFrom')
return { 'suspended', due }
`);

/**
 * Not fenced. KEYS: head, steps, signals. ARGV: signal key, stored record, now, maxSignals ('' for
 * no limit). Replies { 'written', status }, { 'exists', stored record, status }, { 'full', status }
 * or { 'not-found' }.
 */
export const PUT_SIGNAL: Script = script(`
local head, key, now = KEYS[1], ARGV[1], ARGV[3]
local status = redis.call('HGET', head, 'status')
if not status then return { 'not-found' } end
-- a stored record first: a resent signal gets its own back, even on a full run
local existing = redis.call('HGET', KEYS[2], key)
if existing then return { 'exists', existing, status } end
-- the signal keys of the run (its records with seq 0), so that they are counted in O(1)
if ARGV[4] ~= '' and redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[4]) then return { 'full', status } end
redis.call('HSET', KEYS[2], key, ARGV[2])
redis.call('SADD', KEYS[3], key)
-- a completed run set to expire: the keys this created expire with it
local ttl = redis.call('PTTL', head)
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) redis.call('PEXPIRE', KEYS[3], ttl) end
if status == 'suspended' and tonumber(redis.call('HGET', head, 'lease')) > tonumber(now) then
  redis.call('HSET', head, 'lease', now)
end
return { 'written', status }
`);

/**
 * Not fenced. KEYS: head, steps, signals, cleanups, then the six status indexes (see CLAIM).
 * ARGV: member, at. Replies { 'cancelled' | 'completed', head } or { 'not-found' }.
 * The owner keeps the run and its lease: its next fenced write answers 'cancelled' and it runs
 * the cleanups (see `contract.ts`).
 */
export const CANCEL: Script = script(`${INDEX_OF}
local head, member, at = KEYS[1], ARGV[1], ARGV[2]
local status = redis.call('HGET', head, 'status')
if not status then return { 'not-found' } end
if status == 'completed' then return { 'completed', redis.call('HGETALL', head) } end
if status ~= 'cancelled' then
  redis.call('ZREM', KEYS[INDEX[status]], member)
  redis.call('ZADD', KEYS[INDEX.cancelled], at, member)
  redis.call('HSET', head, 'status', 'cancelled', 'updatedAt', at)
end
return { 'cancelled', redis.call('HGETALL', head) }
`);

/** KEYS: head, steps, cleanups. An empty reply when the run is absent. */
export const READ: Script = script(`
local head = redis.call('HGETALL', KEYS[1])
if #head == 0 then return {} end
return { head, redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]) }
`);

/**
 * One bucket of `list`. KEYS: the indexes of the requested statuses (one bucket).
 * ARGV: limit, updatedBefore | '', leaseExpiredAt | '', after.updatedAt | ''.
 * Replies HGETALL heads: per index, the first `limit` matches strictly after after.updatedAt plus
 * their whole tie group at the last score and every match AT after.updatedAt (the client orders
 * them by run id, filters the cursor and cuts the page). Index entries of runs that expired are
 * removed on the way.
 */
export const LIST: Script = script(`
-- Run keys sit beside the index ('<prefix>{<bucket>}:i:<status>' → '<prefix>{<bucket>}:r:'),
-- derived from KEYS[1] rather than passed, so a client that prefixes KEYS (ioredis keyPrefix) agrees.
local base = string.match(KEYS[1], '^(.*}:)i:%a+$') .. 'r:'
local limit = tonumber(ARGV[1])
local max = ARGV[2] == '' and '+inf' or ('(' .. ARGV[2])
local leaseBound = ARGV[3] ~= '' and tonumber(ARGV[3]) or nil
local afterAt = ARGV[4] ~= '' and tonumber(ARGV[4]) or nil
local min = ARGV[4] == '' and '-inf' or ARGV[4]
local out, stale = {}, {}
for i = 1, #KEYS do
  local counted, boundary, offset, done = 0, nil, 0, false
  repeat
    local page = redis.call('ZRANGEBYSCORE', KEYS[i], min, max, 'WITHSCORES', 'LIMIT', offset, 128)
    offset = offset + #page / 2
    done = #page < 256
    for j = 1, #page, 2 do
      local score = tonumber(page[j + 1])
      if boundary and score > boundary then done = true break end
      local key = base .. page[j] .. ':head'
      local lease = redis.call('HGET', key, 'lease')
      if not lease then
        stale[#stale + 1] = { KEYS[i], page[j] }
      elseif not leaseBound or tonumber(lease) <= leaseBound then
        out[#out + 1] = redis.call('HGETALL', key)
        if not afterAt or score > afterAt then
          counted = counted + 1
          if counted == limit then boundary = score end
        end
      end
    end
  until done
end
for _, entry in ipairs(stale) do redis.call('ZREM', entry[1], entry[2]) end
return out
`);

/**
 * First half of `purge`, for one bucket. KEYS: the indexes of the statuses to purge (one bucket).
 * ARGV: updatedBefore, limit. Replies { updatedAt, member, … }: per index, its oldest `limit`
 * entries updated before the cutoff plus the whole tie group at the last score (the client
 * decodes the run ids from the members, orders them across buckets and keeps the oldest `limit`).
 * Reads only the indexes; changes nothing.
 */
export const PURGE_CANDIDATES: Script = script(`
local before, limit = '(' .. ARGV[1], tonumber(ARGV[2])
local out = {}
for i = 1, #KEYS do
  local counted, boundary, offset, done = 0, nil, 0, false
  repeat
    local page = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', before, 'WITHSCORES', 'LIMIT', offset, 128)
    offset = offset + #page / 2
    done = #page < 256
    for j = 1, #page, 2 do
      local score = tonumber(page[j + 1])
      if boundary and score > boundary then done = true break end
      out[#out + 1] = page[j + 1]
      out[#out + 1] = page[j]
      counted = counted + 1
      if counted == limit then boundary = score end
    end
  until done
end
return out
`);

/**
 * Second half of `purge`, for one bucket. KEYS: the indexes of the statuses to purge (one bucket).
 * ARGV: updatedBefore, then the members chosen from PURGE_CANDIDATES. Deletes each run whose head
 * still has one of those statuses and an updatedAt before the cutoff (a run claimed or otherwise
 * changed since it was chosen is kept whole, and a resent request deletes nothing more); removes
 * the entries of runs that expired (`completedTtlSeconds`). Replies { deleted, expired }.
 */
export const PURGE_RUNS: Script = script(`
-- Run keys sit beside the index ('<prefix>{<bucket>}:i:<status>' → '<prefix>{<bucket>}:r:'),
-- derived from KEYS[1] rather than passed, so a client that prefixes KEYS (ioredis keyPrefix) agrees.
local base = string.match(KEYS[1], '^(.*}:)i:%a+$') .. 'r:'
local before = tonumber(ARGV[1])
local indexOf = {}
for i = 1, #KEYS do indexOf[string.match(KEYS[i], ':i:(%a+)$')] = KEYS[i] end
local deleted, expired = 0, 0
for i = 2, #ARGV do
  local run = base .. ARGV[i]
  local state = redis.call('HMGET', run .. ':head', 'status', 'updatedAt')
  if not state[1] then
    -- counted only while its entry is still there: a resent request finds the runs the first
    -- deleted gone with their entries, and must not make the client choose more
    local removed = 0
    for j = 1, #KEYS do removed = removed + redis.call('ZREM', KEYS[j], ARGV[i]) end
    if removed > 0 then expired = expired + 1 end
  elseif indexOf[state[1]] and tonumber(state[2]) < before then
    redis.call('DEL', run .. ':head', run .. ':steps', run .. ':signals', run .. ':cleanups')
    redis.call('ZREM', indexOf[state[1]], ARGV[i])
    deleted = deleted + 1
  end
end
return { deleted, expired }
`);
