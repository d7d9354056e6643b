;; The NDJSON records of a batch of lines (src/log/ndjson.ts, src/log/ndjson_wasm.ts), built in this
;; module's memory: for each record the head (`{"ts":...,"seq":N,...,"msg":"`), the line (copied,
;; or escaped as JSON.stringify escapes it) and the end (`"}` and a newline), the sequence number
;; counted up in place in the head. WebAssembly is fast from its first call, where the same loop in
;; JavaScript runs on cold code for most of a flood. `deno task wasm` (tools/build_wasm.ts) assembles
;; it into src/log/ndjson_wasm.gen.ts.
(module
  (memory (export "memory") 1)
  ;; Where the last call's records end.
  (global $at (export "at") (mut i32) (i32.const 0))
  ;; 0-15: hexadecimal digits; 16-47: the short escape of each control character (0: none).
  (data (i32.const 0) "0123456789abcdef")
  (data (i32.const 24) "btn\00fr")

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
        (memory.copy (local.get $out) (local.get $row) (local.get $rowLen))
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
            (memory.copy (local.get $out) (local.get $s) (i32.sub (local.get $e) (local.get $s)))
            (local.set $out (i32.add (local.get $out) (i32.sub (local.get $e) (local.get $s))))))
        (memory.copy (local.get $out) (local.get $end) (local.get $endLen))
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
    (local.get $i)))
