;; The log path's WebAssembly module (src/log/wasm.ts): it finds the lines of a chunk and what they
;; hold (src/log/split.ts), and writes the NDJSON records of a batch of lines (src/log/ndjson.ts,
;; src/log/ndjson_wasm.ts), in its own memory, where JavaScript copies the bytes in and the results
;; out. WebAssembly is fast from its first call, where the same loops in JavaScript run on cold code
;; for most of a flood. `deno task wasm` (tools/build_wasm.ts) assembles it into src/log/wasm.gen.ts.
(module
  (memory (export "memory") 1)
  ;; Where the last call's records end.
  (global $at (export "at") (mut i32) (i32.const 0))
  ;; The OR of the flags of the lines the last split call found.
  (global $all (export "all") (mut i32) (i32.const 0))
  ;; 0-15: hexadecimal digits; 16-47: the short escape of each control character (0: none).
  (data (i32.const 0) "0123456789abcdef")
  (data (i32.const 24) "btn\00fr")
  ;; 64-319: each byte's class, split.ts's CLASS: JSON_ESCAPE 1, CONTROL 2, NON_ASCII 4, EQUALS 8,
  ;; the newline 16, the carriage return 32.
  (data (i32.const 64)
    "\03\03\03\03\03\03\03\03\03\01\10\03\03\20\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03\03"
    "\00\00\01\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\08\00\00"
    "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\01\00\00\00"
    "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\02"
    "\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04"
    "\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04"
    "\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04"
    "\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04\04")
  ;; 320-511: level.ts's level words, lower case, 8 bytes each (24 at most; the rest 0).
  (data (i32.const 320)
    "trace\00\00\00" "debug\00\00\00" "dbg\00\00\00\00\00" "info\00\00\00\00" "inf\00\00\00\00\00"
    "notice\00\00" "warn\00\00\00\00" "warning\00" "wrn\00\00\00\00\00" "error\00\00\00" "err\00\00\00\00\00"
    "fatal\00\00\00" "crit\00\00\00\00" "critical" "panic\00\00\00" "emerg\00\00\00" "alert\00\00\00")

  ;; Copies `n` bytes from `from` to `to`: a few bytes a word at a time (a `memory.copy` is a call
  ;; into the engine, costly for the short parts of a record), writing up to 7 bytes past the end
  ;; (the caller leaves room: what follows overwrites them); many by `memory.copy`.
  (func $copy (param $to i32) (param $from i32) (param $n i32)
    (local $k i32)
    (if (i32.gt_u (local.get $n) (i32.const 64))
      (then
        (memory.copy (local.get $to) (local.get $from) (local.get $n))
        (return)))
    (loop $word
      (i64.store (i32.add (local.get $to) (local.get $k))
        (i64.load (i32.add (local.get $from) (local.get $k))))
      (local.set $k (i32.add (local.get $k) (i32.const 8)))
      (br_if $word (i32.lt_u (local.get $k) (local.get $n)))))

  ;; Whether [s, e) is well-formed UTF-8 (split.ts's validUtf8): no overlong form, no surrogate,
  ;; nothing past U+10FFFF, no character cut short.
  (func $utf8 (param $s i32) (param $e i32) (result i32)
    (local $b i32) (local $need i32) (local $lo i32) (local $hi i32) (local $k i32) (local $c i32)
    (block $bad
      (loop $char
        (if (i32.ge_u (local.get $s) (local.get $e)) (then (return (i32.const 1))))
        (local.set $b (i32.load8_u (local.get $s)))
        (if (i32.lt_u (local.get $b) (i32.const 0x80))
          (then
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br $char)))
        (local.set $lo (i32.const 0x80))
        (local.set $hi (i32.const 0xbf))
        (if (i32.le_u (i32.sub (local.get $b) (i32.const 0xc2)) (i32.const 0x1d))
          (then (local.set $need (i32.const 1)))
          (else
            (if (i32.le_u (i32.sub (local.get $b) (i32.const 0xe0)) (i32.const 0x0f))
              (then
                (local.set $need (i32.const 2))
                (if (i32.eq (local.get $b) (i32.const 0xe0)) (then (local.set $lo (i32.const 0xa0))))
                (if (i32.eq (local.get $b) (i32.const 0xed)) (then (local.set $hi (i32.const 0x9f)))))
              (else
                (br_if $bad (i32.gt_u (i32.sub (local.get $b) (i32.const 0xf0)) (i32.const 4)))
                (local.set $need (i32.const 3))
                (if (i32.eq (local.get $b) (i32.const 0xf0)) (then (local.set $lo (i32.const 0x90))))
                (if (i32.eq (local.get $b) (i32.const 0xf4)) (then (local.set $hi (i32.const 0x8f))))))))
        (br_if $bad (i32.ge_u (i32.add (local.get $s) (local.get $need)) (local.get $e)))
        (local.set $c (i32.load8_u offset=1 (local.get $s)))
        (br_if $bad (i32.lt_u (local.get $c) (local.get $lo)))
        (br_if $bad (i32.gt_u (local.get $c) (local.get $hi)))
        (local.set $k (i32.const 2))
        (block $done
          (loop $more
            (br_if $done (i32.gt_u (local.get $k) (local.get $need)))
            (br_if $bad (i32.ne
              (i32.and (i32.load8_u (i32.add (local.get $s) (local.get $k))) (i32.const 0xc0))
              (i32.const 0x80)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $more)))
        (local.set $s (i32.add (local.get $s) (i32.add (local.get $need) (i32.const 1))))
        (br $char)))
    (i32.const 0))

  ;; Writes records for lines 0 to n-1 at `out`, as long as their level is `level` and their
  ;; sequence number fits the head's digits (`first` to `last` in the head at `row`): returns how many
  ;; it wrote, and leaves where they end in `at`. Line i is in[starts[i], ends[i]) (32-bit offsets),
  ;; its level is the byte levels[i], and flags[i] & 1 says it holds bytes JSON must escape.
  (func (export "encode")
    (param $n i32) (param $row i32) (param $rowLen i32) (param $first i32) (param $last i32)
    (param $level i32) (param $levels i32) (param $flags i32) (param $starts i32) (param $ends i32)
    (param $in i32) (param $end i32) (param $endLen i32) (param $out i32) (result i32)
    (local $i i32) (local $s i32) (local $e i32) (local $k i32) (local $b i32) (local $c i32)
    (block $stop
      (loop $record
        (br_if $stop (i32.ge_u (local.get $i) (local.get $n)))
        (br_if $stop
          (i32.ne (i32.load8_u (i32.add (local.get $levels) (local.get $i))) (local.get $level)))
        (call $copy (local.get $out) (local.get $row) (local.get $rowLen))
        (local.set $out (i32.add (local.get $out) (local.get $rowLen)))
        (local.set $s (i32.add (local.get $in)
          (i32.load (i32.add (local.get $starts) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $e (i32.add (local.get $in)
          (i32.load (i32.add (local.get $ends) (i32.shl (local.get $i) (i32.const 2))))))
        (if (i32.and (i32.load8_u (i32.add (local.get $flags) (local.get $i))) (i32.const 1))
          (then
            (local.set $k (local.get $s))
            (block $escaped
              (loop $byte
                (br_if $escaped (i32.ge_u (local.get $k) (local.get $e)))
                (local.set $b (i32.load8_u (local.get $k)))
                (if (i32.and
                      (i32.ge_u (local.get $b) (i32.const 0x20))
                      (i32.and (i32.ne (local.get $b) (i32.const 0x22))
                        (i32.ne (local.get $b) (i32.const 0x5c))))
                  (then
                    (i32.store8 (local.get $out) (local.get $b))
                    (local.set $out (i32.add (local.get $out) (i32.const 1))))
                  (else
                    (i32.store8 (local.get $out) (i32.const 0x5c))
                    ;; " and \ after their backslash; a control character by its short escape,
                    ;; else as \u00XX
                    (local.set $c (if (result i32) (i32.ge_u (local.get $b) (i32.const 0x20))
                      (then (local.get $b))
                      (else (i32.load8_u offset=16 (local.get $b)))))
                    (if (local.get $c)
                      (then
                        (i32.store8 offset=1 (local.get $out) (local.get $c))
                        (local.set $out (i32.add (local.get $out) (i32.const 2))))
                      (else
                        (i32.store8 offset=1 (local.get $out) (i32.const 0x75))
                        (i32.store8 offset=2 (local.get $out) (i32.const 0x30))
                        (i32.store8 offset=3 (local.get $out) (i32.const 0x30))
                        (i32.store8 offset=4 (local.get $out)
                          (i32.load8_u (i32.shr_u (local.get $b) (i32.const 4))))
                        (i32.store8 offset=5 (local.get $out)
                          (i32.load8_u (i32.and (local.get $b) (i32.const 15))))
                        (local.set $out (i32.add (local.get $out) (i32.const 6)))))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $byte))))
          (else
            (call $copy (local.get $out) (local.get $s) (i32.sub (local.get $e) (local.get $s)))
            (local.set $out (i32.add (local.get $out) (i32.sub (local.get $e) (local.get $s))))))
        (call $copy (local.get $out) (local.get $end) (local.get $endLen))
        (local.set $out (i32.add (local.get $out) (local.get $endLen)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        ;; The next sequence number, in the head; one that needs another digit goes back to the
        ;; caller, which makes a wider head.
        (local.set $k (local.get $last))
        (block $counted
          (loop $digit
            (local.set $c (i32.load8_u (local.get $k)))
            (if (i32.ne (local.get $c) (i32.const 0x39))
              (then
                (i32.store8 (local.get $k) (i32.add (local.get $c) (i32.const 1)))
                (br $counted)))
            (i32.store8 (local.get $k) (i32.const 0x30))
            (br_if $stop (i32.le_u (local.get $k) (local.get $first)))
            (local.set $k (i32.sub (local.get $k) (i32.const 1)))
            (br $digit)))
        (br $record)))
    (global.set $at (local.get $out))
    (local.get $i))
  ;; The lines of in[from, stop), where stop follows a newline: for each its start and end (the
  ;; newline, or a carriage return before it, excluded) at starts[i] and ends[i] as offsets from
  ;; `origin`, and flags[i], the bytes' classes ORed (the table at 64; a carriage return kept in
  ;; the line counts as JSON_ESCAPE | CONTROL), INVALID (128) for a line that is not UTF-8, with
  ;; MAY_LEVEL (64) when the line may show a level
  ;; (level.ts's mayShowLevel, its level words at 320 as 8 bytes each, lower case). Stops before
  ;; a line longer than `max` bytes: returns how many lines it wrote, and leaves in `at` where it
  ;; stopped (stop when it did not).
  (func (export "split")
    (param $in i32) (param $from i32) (param $stop i32) (param $max i32) (param $origin i32)
    (param $starts i32) (param $ends i32) (param $flags i32) (result i32)
    (local $p i32) (local $s i32) (local $e i32) (local $f i32) (local $b i32) (local $n i32)
    (local $i i32) (local $c i32) (local $word i64)
    (local.set $p (i32.add (local.get $in) (local.get $from)))
    (local.set $stop (i32.add (local.get $in) (local.get $stop)))
    (global.set $all (i32.const 0))
    (block $done
      (loop $line
        (br_if $done (i32.ge_u (local.get $p) (local.get $stop)))
        (local.set $s (local.get $p))
        (local.set $f (i32.const 0))
        (block $newline
          (loop $byte
            (local.set $b (i32.load8_u (local.get $p)))
            (br_if $newline (i32.eq (local.get $b) (i32.const 0x0a)))
            (local.set $f (i32.or (local.get $f) (i32.load8_u offset=64 (local.get $b))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $byte)))
        (local.set $e (local.get $p))
        (if (i32.and (local.get $f) (i32.const 32))
          (then
            ;; The carriage return before the newline goes; any other is a control character.
            (if (i32.and (i32.gt_u (local.get $e) (local.get $s))
                  (i32.eq (i32.load8_u offset=0 (i32.sub (local.get $e) (i32.const 1)))
                    (i32.const 0x0d)))
              (then (local.set $e (i32.sub (local.get $e) (i32.const 1)))))
            (local.set $f (i32.const 0))
            (local.set $i (local.get $s))
            (block $end
              (loop $again
                (br_if $end (i32.ge_u (local.get $i) (local.get $e)))
                (local.set $f
                  (i32.or (local.get $f) (i32.load8_u offset=64 (i32.load8_u (local.get $i)))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $again)))
            (if (i32.and (local.get $f) (i32.const 32))
              (then (local.set $f (i32.or (i32.and (local.get $f) (i32.const -33)) (i32.const 3)))))))
        (if (i32.gt_u (i32.sub (local.get $e) (local.get $s)) (local.get $max))
          (then
            (global.set $at (i32.sub (local.get $s) (local.get $in)))
            (return (local.get $n))))
        ;; A line with a multi-byte character: INVALID (128) unless it is well-formed UTF-8.
        (if (i32.and (local.get $f) (i32.const 4))
          (then
            (if (i32.eqz (call $utf8 (local.get $s) (local.get $e)))
              (then (local.set $f (i32.or (local.get $f) (i32.const 128)))))))
        ;; May it show a level? Yes until found otherwise.
        (local.set $f (i32.or (local.get $f) (i32.const 64)))
        (block $level
          ;; logfmt's level=
          (br_if $level (i32.and (local.get $f) (i32.const 8)))
          (local.set $i (local.get $s))
          ;; \s: space, tab, LF, VT, FF, CR
          (block $text
            (loop $space
              (br_if $text (i32.ge_u (local.get $i) (local.get $e)))
              (local.set $b (i32.load8_u (local.get $i)))
              (br_if $text (i32.and (i32.ne (local.get $b) (i32.const 0x20))
                (i32.gt_u (i32.sub (local.get $b) (i32.const 0x09)) (i32.const 4))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $space)))
          (if (i32.ge_u (local.get $i) (local.get $e))
            (then
              (local.set $f (i32.and (local.get $f) (i32.const -65)))
              (br $level)))
          ;; a Unicode space, perhaps, before a prefix
          (br_if $level (i32.ge_u (local.get $b) (i32.const 0x80)))
          ;; JSON
          (if (i32.eq (local.get $b) (i32.const 0x7b))
            (then
              (if (i32.ne (local.get $i) (local.get $s))
                (then (local.set $f (i32.and (local.get $f) (i32.const -65)))))
              (br $level)))
          ;; an ISO date first: \d{4}-
          (if (i32.le_u (i32.sub (local.get $b) (i32.const 0x30)) (i32.const 9))
            (then
              (if (i32.eqz (i32.and
                    (i32.lt_u (i32.add (local.get $i) (i32.const 4)) (local.get $e))
                    (i32.and
                      (i32.and
                        (i32.le_u (i32.sub (i32.load8_u offset=1 (local.get $i)) (i32.const 0x30))
                          (i32.const 9))
                        (i32.le_u (i32.sub (i32.load8_u offset=2 (local.get $i)) (i32.const 0x30))
                          (i32.const 9)))
                      (i32.and
                        (i32.le_u (i32.sub (i32.load8_u offset=3 (local.get $i)) (i32.const 0x30))
                          (i32.const 9))
                        (i32.eq (i32.load8_u offset=4 (local.get $i)) (i32.const 0x2d))))))
                (then (local.set $f (i32.and (local.get $f) (i32.const -65)))))
              (br $level)))
          ;; [ ( <
          (if (i32.or (i32.eq (local.get $b) (i32.const 0x5b))
                (i32.or (i32.eq (local.get $b) (i32.const 0x28)) (i32.eq (local.get $b) (i32.const 0x3c))))
            (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))
          ;; The word, lower case, as up to 8 bytes; a ninth letter makes it too long.
          (local.set $word (i64.const 0))
          (local.set $b (i32.const 0))
          (block $word
            (loop $letter
              (br_if $word (i32.ge_u (local.get $i) (local.get $e)))
              (local.set $c (i32.or (i32.load8_u (local.get $i)) (i32.const 0x20)))
              (br_if $word (i32.gt_u (i32.sub (local.get $c) (i32.const 0x61)) (i32.const 25)))
              (br_if $word (i32.ge_u (local.get $b) (i32.const 9)))
              (local.set $word (i64.or (local.get $word)
                (i64.shl (i64.extend_i32_u (local.get $c)) (i64.extend_i32_u (i32.shl (local.get $b) (i32.const 3))))))
              (local.set $b (i32.add (local.get $b) (i32.const 1)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $letter)))
          (if (i32.or (i32.lt_u (local.get $b) (i32.const 3)) (i32.gt_u (local.get $b) (i32.const 8)))
            (then
              (local.set $f (i32.and (local.get $f) (i32.const -65)))
              (br $level)))
          (local.set $i (i32.const 320))
          (block $found
            (loop $words
              (br_if $found (i64.eq (i64.load (local.get $i)) (local.get $word)))
              (local.set $i (i32.add (local.get $i) (i32.const 8)))
              (br_if $words (i32.lt_u (local.get $i) (i32.const 512)))
              (local.set $f (i32.and (local.get $f) (i32.const -65))))))
        (i32.store (i32.add (local.get $starts) (i32.shl (local.get $n) (i32.const 2)))
          (i32.sub (local.get $s) (local.get $origin)))
        (i32.store (i32.add (local.get $ends) (i32.shl (local.get $n) (i32.const 2)))
          (i32.sub (local.get $e) (local.get $origin)))
        (i32.store8 (i32.add (local.get $flags) (local.get $n)) (local.get $f))
        (global.set $all (i32.or (global.get $all) (local.get $f)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        ;; past the newline (e may be a carriage return before it)
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $line)))
    (global.set $at (i32.sub (local.get $stop) (local.get $in)))
    (local.get $n))
)
