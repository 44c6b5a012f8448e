// Audio names as the database compares them (utf8mb4_unicode_ci: case, accents and trailing spaces ignored),
// so that what the API says about a name agrees with what a query on it finds.

/** A key equal for two names the database holds equal (close to unicode_ci for the names people use). */
export function nameKey(name: string): string {
  return name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/ +$/, '');
}

/** The first two names in `names` that the database holds equal, if any. */
export function sameNamePair(names: readonly string[]): [string, string] | undefined {
  const seen = new Map<string, string>();
  for (const name of names) {
    const earlier = seen.get(nameKey(name));
    if (earlier !== undefined) return [earlier, name];
    seen.set(nameKey(name), name);
  }
  return undefined;
}
