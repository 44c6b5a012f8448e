// The llama.cpp side of the LLM node: one model, one context with LLM_NODE_CAPACITY sequences, a FIFO for
// requests beyond that, JSON-schema grammars compiled once per schema, and token counters for /metrics.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The few node-llama-cpp 3.21.1 types used here (the library lives outside the clone, see ops/llm.sh). */
type Tokenizer = unknown;
type LlamaText = { tokenize(tokenizer: Tokenizer): unknown[] };
type ChatHistoryItem =
  | { type: 'system'; text: string }
  | { type: 'user'; text: string }
  | { type: 'model'; response: string[] };
type Grammar = unknown;
type Sequence = { tokenMeter: { usedInputTokens: number; usedOutputTokens: number } };
type LlamaChat = {
  sequence: Sequence;
  chatWrapper: {
    wrapperName: string;
    generateContextState(o: { chatHistory: ChatHistoryItem[] }): { contextText: LlamaText };
  };
  generateResponse(
    history: ChatHistoryItem[],
    o: { grammar?: Grammar; maxTokens: number; temperature: number; seed?: number; signal?: AbortSignal },
  ): Promise<{ response: string; metadata: { stopReason: string } }>;
};
type NodeLlamaCpp = {
  getLlama(o: { gpu: false; build: 'never'; progressLogs: boolean; logLevel: string }): Promise<{
    cpuMathCores: number;
    loadModel(o: { modelPath: string }): Promise<{
      tokenizer: Tokenizer;
      trainContextSize: number;
      fileInfo: { metadata: { tokenizer?: { chat_template?: string } } };
      createContext(o: {
        sequences: number;
        contextSize: number;
        threads?: number;
      }): Promise<{ contextSize: number; getSequence(): Sequence }>;
    }>;
    createGrammarForJsonSchema(schema: Record<string, unknown>): Promise<Grammar>;
  }>;
  LlamaChat: new (o: { contextSequence: Sequence; chatWrapper: 'auto' }) => LlamaChat;
};

export type ChatTurn = { role: 'system' | 'user' | 'assistant'; content: string };
export type Generation = {
  content: string;
  finishReason: 'stop' | 'length';
  promptTokens: number;
  completionTokens: number;
};
export type EngineStats = {
  requests: number;
  running: number;
  waiting: number;
  promptTokens: number;
  completionTokens: number;
  generationSeconds: number;
};
export type Engine = {
  chatTemplate: string;
  contextSize: number;
  stats(): EngineStats;
  generate(input: {
    messages: ChatTurn[];
    schema: Record<string, unknown> | null;
    maxTokens: number;
    temperature: number;
    seed?: number;
    signal?: AbortSignal;
  }): Promise<Generation>;
};

export async function loadEngine(config: {
  libDir: string;
  modelPath: string;
  capacity: number;
  threads: number | undefined;
  contextSize: number;
}): Promise<Engine> {
  const lib = (await import(
    pathToFileURL(join(config.libDir, 'node-llama-cpp', 'dist', 'index.js')).href
  )) as NodeLlamaCpp;
  // build: 'never': never compile llama.cpp (that would download its source); the prebuilt CPU binary or fail.
  const llama = await lib.getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: 'error' });
  // A local file only: node-llama-cpp's model download helpers (resolveModelFile, createModelDownloader) are
  // never called, so nothing is fetched from a model hub.
  const model = await llama.loadModel({ modelPath: config.modelPath });
  const context = await model.createContext({
    sequences: config.capacity,
    contextSize: Math.min(config.contextSize, model.trainContextSize),
    threads: config.threads,
  });
  const chats = Array.from(
    { length: config.capacity },
    () => new lib.LlamaChat({ contextSequence: context.getSequence(), chatWrapper: 'auto' }),
  );
  // Without a chat_template in the GGUF, 'auto' picks a wrapper by architecture (Gemma's turn markers here).
  const template = model.fileInfo.metadata.tokenizer?.chat_template;
  const chatTemplate = `${chats[0]?.chatWrapper.wrapperName ?? '?'} (${template ? 'the GGUF has a chat template' : 'the GGUF has no chat template: chosen by architecture'})`;

  const grammars = new Map<string, Promise<Grammar>>();
  const grammarFor = (schema: Record<string, unknown>) => {
    const key = JSON.stringify(schema);
    let grammar = grammars.get(key);
    if (!grammar) {
      if (grammars.size >= 64) grammars.delete(grammars.keys().next().value as string);
      grammar = llama.createGrammarForJsonSchema(schema);
      grammar.catch(() => grammars.delete(key));
      grammars.set(key, grammar);
    }
    return grammar;
  };

  const free = [...chats];
  const queue: ((chat: LlamaChat) => void)[] = [];
  const totals = { requests: 0, promptTokens: 0, completionTokens: 0, generationSeconds: 0 };
  const acquire = () =>
    new Promise<LlamaChat>((resolve) => {
      const chat = free.pop();
      if (chat) resolve(chat);
      else queue.push(resolve);
    });
  const release = (chat: LlamaChat) => {
    const next = queue.shift();
    if (next) next(chat);
    else free.push(chat);
  };

  return {
    chatTemplate,
    contextSize: context.contextSize,
    stats: () => ({ ...totals, running: chats.length - free.length, waiting: queue.length }),
    async generate(input) {
      const history = toHistory(input.messages);
      const grammar = input.schema ? await grammarFor(input.schema) : undefined;
      totals.requests++;
      const chat = await acquire();
      const started = performance.now();
      try {
        const promptTokens = chat.chatWrapper
          .generateContextState({ chatHistory: history })
          .contextText.tokenize(model.tokenizer).length;
        const outputBefore = chat.sequence.tokenMeter.usedOutputTokens;
        const answer = await chat.generateResponse(history, {
          grammar,
          maxTokens: input.maxTokens,
          temperature: input.temperature,
          seed: input.seed,
          signal: input.signal,
        });
        const completionTokens = chat.sequence.tokenMeter.usedOutputTokens - outputBefore;
        totals.promptTokens += promptTokens;
        totals.completionTokens += completionTokens;
        return {
          content: answer.response,
          finishReason: answer.metadata.stopReason === 'maxTokens' ? 'length' : 'stop',
          promptTokens,
          completionTokens,
        };
      } finally {
        totals.generationSeconds += (performance.now() - started) / 1000;
        release(chat);
      }
    },
  };
}

/** OpenAI's messages as node-llama-cpp's chat history; the answer continues after the last user message. */
function toHistory(messages: ChatTurn[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m) =>
    m.role === 'assistant' ? { type: 'model', response: [m.content] } : { type: m.role, text: m.content },
  );
  history.push({ type: 'model', response: [] });
  return history;
}
