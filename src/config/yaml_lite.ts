/**
 * A reader for the YAML most config files are written in: block maps and lists, plain, quoted and
 * block (`|`, `>`) scalars on the YAML 1.2 core schema, and flow collections on one line. It gives
 * the same data and the same field positions as the `yaml` package does for such a file, in a
 * fraction of the time a cold start of that package takes, or `undefined` for anything else:
 * anchors, aliases, tags, merge keys, directives, several documents, tabs, multi-line plain or
 * quoted scalars, flows over several lines, duplicate or non-string keys, syntax errors. Those go
 * to the `yaml` package, which reads all of YAML and reports errors where they are.
 *
 * @module
 */
import type { LineCol, Locator } from "./paths.ts";
import {
  endOfLine,
  isSeqIndicator,
  Outside,
  outside,
  plainEnd,
  plainKey,
  quoted,
  resolvePlain,
  scanKey,
  skipSpaces,
  trimSpaces,
} from "./yaml_lite_line.ts";

export { resolvePlain };

/** A parsed file: its data and where each of its values (and keys) are. */
export interface LiteParse {
  readonly data: unknown;
  readonly locate: Locator;
}

/** Where a value is, with its entries' or items' places when it is a map or a list. */
interface Place {
  readonly pos: LineCol;
  readonly entries?: Map<string, { key: LineCol; place: Place }>;
  readonly items?: Place[];
}

/** Characters the subset reads: printable ones and the newline (no tabs, CRs, BOMs, NELs). */
const ALLOWED = /^[\n\x20-\x7e\xa0-\u2027\u202a-\ufefe\uff00-\ufffd\ud800-\udfff]*$/;
/** Directives and document markers: another document, or a header the subset does not read. */
const MARKERS = /^(?:%|---(?: |$)|\.\.\.(?: |$))/m;
/** Nesting the reader goes to before it leaves the file to the `yaml` package (and its check). */
const MAX_NESTING = 80;

/** Reads `text`, or returns `undefined` when it holds anything outside the subset. */
export function parseLite(text: string): LiteParse | undefined {
  if (!ALLOWED.test(text) || MARKERS.test(text)) return undefined;
  try {
    const reader = new Reader(text.split("\n"));
    const row = reader.nextContent();
    if (row < 0) return { data: {}, locate: () => undefined };
    const [data, place] = reader.block(-1, false) ?? outside();
    if (place.entries === undefined && place.items === undefined) return undefined;
    if (reader.nextContent() >= 0) return undefined;
    return { data, locate: locator(place) };
  } catch (error) {
    if (error instanceof Outside || error instanceof RangeError) return undefined;
    throw error;
  }
}

/** Finds a path's place as source_yaml.ts's locator does on the `yaml` package's nodes. */
function locator(root: Place): Locator {
  return (path, options) => {
    let place: Place | undefined = root;
    let best: LineCol = root.pos;
    for (let i = 0; i < path.length; i++) {
      const part = path[i];
      if (place?.entries) {
        const entry: { key: LineCol; place: Place } | undefined = place.entries.get(String(part));
        if (!entry) return best;
        if (i === path.length - 1 && options?.key) return entry.key;
        place = entry.place;
        best = entry.place.pos;
      } else if (place?.items && typeof part === "number") {
        place = place.items[part];
        if (place) best = place.pos;
      } else {
        return best;
      }
    }
    return best;
  };
}

const at = (row: number, col: number): LineCol => ({ line: row + 1, column: col + 1 });

class Reader {
  private row = 0;
  private depth = 0;
  private readonly indents: number[];

  constructor(private readonly lines: string[]) {
    this.indents = lines.map((line) => {
      const i = skipSpaces(line, 0);
      // Blank and comment-only lines have no indentation that counts: -1.
      return i === line.length || line[i] === "#" ? -1 : i;
    });
  }

  /** The next line with content from the current one (made current), or -1 at the end. */
  nextContent(): number {
    while (this.row < this.lines.length && this.indents[this.row] < 0) this.row++;
    return this.row < this.lines.length ? this.row : -1;
  }

  /**
   * The node that starts on the next content line, which must be indented more than `parent` (or
   * as much, for a list when `seqAtParent`). Returns `undefined` as the data when there is none.
   */
  block(parent: number, seqAtParent: boolean): [unknown, Place] | undefined {
    const from = this.row;
    const row = this.nextContent();
    if (row < 0) return undefined;
    const indent = this.indents[row];
    const line = this.lines[row];
    if (isSeqIndicator(line, indent)) {
      return indent > parent || (seqAtParent && indent === parent) ? this.seq(indent) : undefined;
    }
    if (indent <= parent) return undefined;
    if (scanKey(line, indent)) return this.map(indent);
    // A lone scalar or flow on its line: the caller's loop refuses a continuation line after it.
    if (line[indent] === "|" || line[indent] === ">") outside();
    // The package lets a comment line before a lone plain scalar lower the indentation its
    // continuation lines need (`a:\n#c\n  r\nb: 1` is a key `r b`): such files go to it.
    if (!"'\"[{".includes(line[indent])) {
      for (let r = from; r < row; r++) if (/[^ ]/.test(this.lines[r])) outside();
    }
    return this.inline(row, indent, parent);
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING) outside();
  }

  /** A block map with its keys at `indent`, from the current line (its first may follow `- `). */
  private map(indent: number): [unknown, Place] {
    this.enter();
    const data: Record<string, unknown> = {};
    const entries = new Map<string, { key: LineCol; place: Place }>();
    const first = at(this.row, indent);
    for (let row = this.row;;) {
      const key = scanKey(this.lines[row], indent) ?? outside();
      newKey(entries, key.name);
      const [value, place] = this.valueAfter(row, key.end, indent, true);
      data[key.name] = value;
      entries.set(key.name, { key: at(row, indent), place });
      row = this.nextContent();
      if (row < 0 || this.indents[row] < indent) break;
      if (this.indents[row] > indent) outside();
    }
    this.depth--;
    return [data, { pos: first, entries }];
  }

  /** A block list whose indicators are at `indent`, from the current line. */
  private seq(indent: number): [unknown, Place] {
    this.enter();
    const data: unknown[] = [];
    const items: Place[] = [];
    const first = at(this.row, indent);
    for (let row = this.row;;) {
      const line = this.lines[row];
      const col = skipSpaces(line, indent + 1);
      if (isSeqIndicator(line, col)) outside();
      const [value, place] = col > indent + 1 && scanKey(line, col)
        ? (this.row = row, this.map(col))
        : this.valueAfter(row, indent + 1, indent, false);
      data.push(value);
      items.push(place);
      row = this.nextContent();
      if (row < 0 || this.indents[row] < indent) break;
      if (this.indents[row] > indent) outside();
      if (!isSeqIndicator(this.lines[row], indent)) break;
    }
    this.depth--;
    return [data, { pos: first, items }];
  }

  /**
   * The value after an indicator (`:` or `-`) that ends at `col`, in a node at `indent`; a map's
   * value may be a list at the map's own indentation.
   */
  private valueAfter(row: number, col: number, indent: number, ofMap: boolean): [unknown, Place] {
    const line = this.lines[row];
    const start = skipSpaces(line, col);
    if (start < line.length && line[start] !== "#") return this.inline(row, start, indent);
    if (start < line.length && start === col) outside();
    this.row = row + 1;
    return this.block(indent, ofMap) ?? [null, { pos: at(row, start) }];
  }

  /** A node that starts at `col` of `row` and (but for a block scalar's lines) ends on it. */
  private inline(row: number, col: number, indent: number): [unknown, Place] {
    const line = this.lines[row];
    const c = line[col];
    const pos = at(row, col);
    let value: unknown;
    let end: number;
    if (c === "|" || c === ">") return [this.blockScalar(row, col, indent), { pos }];
    if (c === "[" || c === "{") {
      this.enter();
      const flow = new Flow(line, row);
      [value, end] = flow.collection(col);
      this.depth--;
      this.row = row + 1;
      endOfLine(line, end);
      return [value, flow.places.get(col)!];
    }
    if (c === '"' || c === "'") [value, end] = quoted(line, col);
    else {
      end = plainEnd(line, col, false);
      if (line[end] === ":") outside();
      value = resolvePlain(trimSpaces(line.slice(col, end)));
    }
    endOfLine(line, end);
    this.row = row + 1;
    return [value, { pos }];
  }

  /** A `|` or `>` scalar whose header is at `col` of `row`, in a node at `indent`. */
  private blockScalar(row: number, col: number, indent: number): string {
    const header = this.lines[row];
    let chomp = "";
    let i = col + 1;
    if (header[i] === "-" || header[i] === "+") chomp = header[i++];
    endOfLine(header, i);
    const body: string[] = [];
    let contentIndent = -1;
    let widestBlank = 0;
    let r = row + 1;
    for (; r < this.lines.length; r++) {
      const line = this.lines[r];
      if (/^ *$/.test(line)) {
        widestBlank = Math.max(widestBlank, line.length);
        body.push("");
        continue;
      }
      const spaces = skipSpaces(line, 0);
      if (contentIndent < 0) {
        if (spaces <= indent) break;
        contentIndent = spaces;
      }
      if (spaces < contentIndent) break;
      if (header[col] === ">" && spaces > contentIndent) outside();
      body.push(line.slice(contentIndent));
    }
    // Empty scalars, indentation from blank lines, blank lines with content: to the package.
    if (contentIndent < 0 || widestBlank > contentIndent) outside();
    this.row = r;
    let trailing = 0;
    while (body.length > 0 && body[body.length - 1] === "") {
      body.pop();
      trailing++;
    }
    // The file's last line has no line break of its own.
    const lastBreak = r < this.lines.length || trailing > 0;
    if (!lastBreak && chomp !== "-") outside();
    const text = header[col] === "|" ? body.join("\n") : fold(body);
    if (chomp === "-") return text;
    if (chomp === "+") return text + "\n".repeat(r === this.lines.length ? trailing : trailing + 1);
    return text + "\n";
  }
}

/**
 * Refuses a key the map has already, and the keys the package reads otherwise than as plain
 * names (`<<`, a merge; `__proto__`).
 */
function newKey(entries: ReadonlyMap<string, unknown>, name: string): void {
  if (entries.has(name) || name === "__proto__" || name === "<<") outside();
}

/** Folds a `>` scalar's lines: a break between two lines is a space, blank lines are breaks. */
function fold(lines: readonly string[]): string {
  let out = "";
  let blanks = 0;
  let started = false;
  for (const line of lines) {
    if (line === "") {
      blanks++;
      continue;
    }
    out += !started ? "\n".repeat(blanks) : blanks === 0 ? " " : "\n".repeat(blanks);
    out += line;
    blanks = 0;
    started = true;
  }
  return out;
}

/** Flow collections on one line; their places by the column they start at. */
class Flow {
  readonly places = new Map<number, Place>();
  private depth = 0;

  constructor(private readonly line: string, private readonly row: number) {}

  /** The `[...]` or `{...}` at `col`: its data and the column after it. */
  collection(col: number): [unknown, number] {
    if (++this.depth > MAX_NESTING) outside();
    const line = this.line;
    const isMap = line[col] === "{";
    const close = isMap ? "}" : "]";
    const data: Record<string, unknown> | unknown[] = isMap ? {} : [];
    const entries = new Map<string, { key: LineCol; place: Place }>();
    const items: Place[] = [];
    let i = skipSpaces(line, col + 1);
    if (line[i] === close) i++;
    else {
      for (;;) {
        if (isMap) {
          const keyAt = i;
          let name: string;
          if (line[i] === '"' || line[i] === "'") [name, i] = quoted(line, i);
          else {
            const end = plainEnd(line, i, true);
            [name, i] = [plainKey(line, i, end), end];
          }
          i = skipSpaces(line, i);
          if (line[i] !== ":" || line[i + 1] !== " ") outside();
          newKey(entries, name);
          const [value, place, end] = this.node(skipSpaces(line, i + 1));
          (data as Record<string, unknown>)[name] = value;
          entries.set(name, { key: at(this.row, keyAt), place });
          i = end;
        } else {
          const [value, place, end] = this.node(i);
          (data as unknown[]).push(value);
          items.push(place);
          i = end;
        }
        i = skipSpaces(line, i);
        if (line[i] === close) {
          i++;
          break;
        }
        if (line[i] !== ",") outside();
        i = skipSpaces(line, i + 1);
        if (line[i] === close) outside();
      }
    }
    this.places.set(col, { pos: at(this.row, col), ...(isMap ? { entries } : { items }) });
    this.depth--;
    return [data, i];
  }

  /** A value inside a flow at `col`: its data, place and the column after it. */
  private node(col: number): [unknown, Place, number] {
    const line = this.line;
    const pos = at(this.row, col);
    if (line[col] === "[" || line[col] === "{") {
      const [value, end] = this.collection(col);
      return [value, this.places.get(col)!, end];
    }
    if (line[col] === '"' || line[col] === "'") {
      const [value, end] = quoted(line, col);
      return [value, { pos }, end];
    }
    const end = plainEnd(line, col, true);
    if (line[end] === ":" || end === col) outside();
    return [resolvePlain(trimSpaces(line.slice(col, end))), { pos }, end];
  }
}
