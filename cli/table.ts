// Plain-text tables for the terminal: columns sized to their content, numbers right-aligned.
export type Column<T> = {
  title: string;
  value: (row: T) => string | number | null | undefined;
  right?: boolean;
};

export function renderTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => clean(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (columns[i]?.right ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join(
    '\n',
  );
}

/** One line per cell, no control characters: a file name cannot move the cursor or fake a row. */
function clean(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return String(value).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}
