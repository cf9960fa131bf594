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
// error (absent = null). For a suspended run, lease is its wake time.
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
 * KEYS: head, steps, seqs, cleanups, index running, completed, failed, compensated, suspended,
 * cancelled. ARGV: runId, member, owner, now, leaseExpiresAt.
 * Replies kind, head, steps, cleanups and, when claimed, the status before ('' when created).
 */
export const CLAIM: Script = script(`${INDEX_OF}
local head, member, owner, now = KEYS[1], ARGV[2], ARGV[3], ARGV[4]
local function snapshot(kind, previous)
  return { kind, redis.call('HGETALL', head), redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[4]), previous }
end
local status = redis.call('HGET', head, 'status')
if not status then
  -- absent, or expired after completion: drop leftovers of an expired run, then create
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
  for i = 5, 10 do redis.call('ZREM', KEYS[i], member) end
  redis.call('HSET', head, 'runId', ARGV[1], 'status', 'running', 'owner', owner, 'lease', ARGV[5],
    'attempt', 1, 'createdAt', now, 'updatedAt', now)
  redis.call('ZADD', KEYS[INDEX.running], now, member)
  return snapshot('claimed', '')
end
if status == 'completed' then return snapshot('completed', status) end
local holder = redis.call('HGET', head, 'owner')
if holder and holder ~= owner and tonumber(redis.call('HGET', head, 'lease')) > tonumber(now) then
  return { 'busy', redis.call('HGETALL', head) }
end
-- a cancelled run stays cancelled: its new owner only runs its cleanups
local target = status == 'cancelled' and 'cancelled' or 'running'
redis.call('ZREM', KEYS[INDEX[status]], member)
redis.call('ZADD', KEYS[INDEX[target]], now, member)
redis.call('HSET', head, 'status', target, 'owner', owner, 'lease', ARGV[5], 'updatedAt', now)
redis.call('HINCRBY', head, 'attempt', 1)
return snapshot('claimed', status)
`);

/** KEYS: head, steps, seqs. ARGV: owner, step key, seq, stored record. */
export const PUT_STEP: Script = script(`
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return { 'lease-lost' } end
local existing = redis.call('HGET', KEYS[2], ARGV[2])
if existing then return { 'exists', existing } end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
return { 'written' }
`);

/** KEYS: head, cleanups. ARGV: owner, id, stored record. */
export const PUT_CLEANUP: Script = script(`
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 'lease-lost' end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 'ok'
`);

/** KEYS: head, cleanups. ARGV: owner, id. */
export const REMOVE_CLEANUP: Script = script(`
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 'lease-lost' end
redis.call('HDEL', KEYS[2], ARGV[2])
return 'ok'
`);

/** KEYS: head, steps, seqs, cleanups. ARGV: owner, cleanup id, afterSeq. */
export const ROLLBACK: Script = script(`
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 'lease-lost' end
redis.call('HDEL', KEYS[4], ARGV[2])
local later = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[3], '+inf')
for _, key in ipairs(later) do redis.call('HDEL', KEYS[2], key) end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '(' .. ARGV[3], '+inf')
return 'ok'
`);

/**
 * KEYS: head, steps, seqs, cleanups, then the six status indexes (see CLAIM).
 * ARGV: owner, member, leaseExpiresAt, now.
 */
export const SET_LEASE: Script = script(`${INDEX_OF}
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 'lease-lost' end
redis.call('ZADD', KEYS[INDEX[redis.call('HGET', KEYS[1], 'status')]], ARGV[4], ARGV[2])
redis.call('HSET', KEYS[1], 'lease', ARGV[3], 'updatedAt', ARGV[4])
return 'ok'
`);

/**
 * KEYS: head, steps, seqs, cleanups, then the six status indexes (see CLAIM).
 * ARGV: owner, member, status (completed, failed, compensated or cancelled), at,
 * error ('' when hasError is '0'), hasError, dropCleanups ('1'|'0'),
 * expire completed runs after this many seconds ('0': never).
 */
export const FINISH: Script = script(`${INDEX_OF}
local head, member, status, at = KEYS[1], ARGV[2], ARGV[3], ARGV[4]
local owner = redis.call('HGET', head, 'owner')
if owner ~= ARGV[1] then
  -- a resent finish (its first reply lost) must not report a finished run as lost
  if owner == false and redis.call('HGET', head, 'status') == status then return 'ok' end
  return 'lease-lost'
end
local to = KEYS[INDEX[status]]
if not to then return redis.error_reply('durable-x finish: unknown status ' .. status) end
redis.call('ZREM', KEYS[INDEX[redis.call('HGET', head, 'status')]], member)
redis.call('ZADD', to, at, member)
redis.call('HSET', head, 'status', status, 'lease', 0, 'updatedAt', at)
redis.call('HDEL', head, 'owner')
if ARGV[6] == '1' then redis.call('HSET', head, 'error', ARGV[5]) else redis.call('HDEL', head, 'error') end
if ARGV[7] == '1' then redis.call('DEL', KEYS[4]) end
local ttl = tonumber(ARGV[8])
if status == 'completed' and ttl > 0 then
  for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end
end
return 'ok'
`);

/**
 * KEYS: head, steps, seqs, cleanups, then the six status indexes (see CLAIM).
 * ARGV: owner, member, at, wakeAt, signal key ('' when hasSignalKey is '0'), hasSignalKey.
 * Replies { 'suspended', wake time stored } or { 'lease-lost' }.
 */
export const SUSPEND: Script = script(`${INDEX_OF}
local head, member, at = KEYS[1], ARGV[2], ARGV[3]
local owner, status = redis.call('HGET', head, 'owner'), redis.call('HGET', head, 'status')
-- a resent suspend (its first reply lost) answers the wake time it stored
if status == 'suspended' and owner == false then return { 'suspended', redis.call('HGET', head, 'lease') } end
if owner ~= ARGV[1] then return { 'lease-lost' } end
-- the awaited signal arrived while the run was deciding to wait: due at once
local due = ARGV[4]
if ARGV[6] == '1' and redis.call('HEXISTS', KEYS[2], ARGV[5]) == 1 then due = at end
redis.call('ZREM', KEYS[INDEX[status]], member)
redis.call('ZADD', KEYS[INDEX.suspended], at, member)
redis.call('HSET', head, 'status', 'suspended', 'lease', due, 'updatedAt', at)
redis.call('HDEL', head, 'owner')
return { 'suspended', due }
`);

/**
 * Not fenced. KEYS: head, steps, seqs. ARGV: signal key, stored record, now.
 * Replies { 'written', status }, { 'exists', stored record, status } or { 'not-found' }.
 */
export const PUT_SIGNAL: Script = script(`
local head, key, now = KEYS[1], ARGV[1], ARGV[3]
local status = redis.call('HGET', head, 'status')
if not status then return { 'not-found' } end
local existing = redis.call('HGET', KEYS[2], key)
if existing then return { 'exists', existing, status } end
redis.call('HSET', KEYS[2], key, ARGV[2])
-- seq 0: a rollback deletes steps after a seq >= 0, so never a signal
redis.call('ZADD', KEYS[3], 0, key)
-- a completed run set to expire: the keys this created expire with it
local ttl = redis.call('PTTL', head)
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) redis.call('PEXPIRE', KEYS[3], ttl) end
if status == 'suspended' and tonumber(redis.call('HGET', head, 'lease')) > tonumber(now) then
  redis.call('HSET', head, 'lease', now)
end
return { 'written', status }
`);

/**
 * Not fenced. KEYS: head, steps, seqs, cleanups, then the six status indexes (see CLAIM).
 * ARGV: member, at. Replies { 'cancelled' | 'completed', head } or { 'not-found' }.
 */
export const CANCEL: Script = script(`${INDEX_OF}
local head, member, at = KEYS[1], ARGV[1], ARGV[2]
local status = redis.call('HGET', head, 'status')
if not status then return { 'not-found' } end
if status == 'completed' then return { 'completed', redis.call('HGETALL', head) } end
if status ~= 'cancelled' then
  redis.call('ZREM', KEYS[INDEX[status]], member)
  redis.call('ZADD', KEYS[INDEX.cancelled], at, member)
  redis.call('HSET', head, 'status', 'cancelled', 'lease', 0, 'updatedAt', at)
  redis.call('HDEL', head, 'owner')
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
 * One bucket of `purge`. KEYS: the indexes of the statuses to purge (one bucket).
 * ARGV: updatedBefore, limit. Replies how many runs were deleted.
 */
export const PURGE: Script = script(`
-- Run keys sit beside the index ('<prefix>{<bucket>}:i:<status>' → '<prefix>{<bucket>}:r:'),
-- derived from KEYS[1] rather than passed, so a client that prefixes KEYS (ioredis keyPrefix) agrees.
local base = string.match(KEYS[1], '^(.*}:)i:%a+$') .. 'r:'
local before, remaining = '(' .. ARGV[1], tonumber(ARGV[2])
local deleted = 0
for i = 1, #KEYS do
  while remaining > 0 do
    local page = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', before, 'LIMIT', 0, math.min(remaining, 128))
    if #page == 0 then break end
    for _, member in ipairs(page) do
      local run = base .. member
      if redis.call('EXISTS', run .. ':head') == 1 then
        deleted = deleted + 1
        remaining = remaining - 1
      end
      redis.call('DEL', run .. ':head', run .. ':steps', run .. ':seqs', run .. ':cleanups')
      redis.call('ZREM', KEYS[i], member)
    end
  end
end
return deleted
`);
