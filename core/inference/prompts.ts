// Prompts live in versioned files under prompts/ (`<name>.v<N>.md`) with {{placeholders}}.
import { readFileSync } from 'node:fs';

const cache = new Map<string, string>();

export function renderPrompt(version: string, values: Record<string, string>): string {
  let template = cache.get(version);
  if (template === undefined) {
    template = readFileSync(new URL(`../../prompts/${version}.md`, import.meta.url), 'utf8');
    cache.set(version, template);
  }
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`prompt ${version} needs {{${key}}}`);
    return value;
  });
}

/** Splits a rendered prompt at its `---` line into the system and the user message. */
export function promptMessages(rendered: string): { role: 'system' | 'user'; content: string }[] {
  const [system, ...rest] = rendered.split(/^---$/m);
  return [
    { role: 'system', content: (system ?? '').trim() },
    { role: 'user', content: rest.join('---').trim() },
  ];
}
