// Type-checks files as a user's project would: strict TypeScript, ES2022 modules, bundler
// resolution (package.json "exports"). One place for the options the documentation and
// packaging tests share.
import ts from 'typescript';

/** What differs between the checks. */
export interface TypecheckOptions {
  /** `@types` packages to load (default none). */
  readonly types?: readonly string[];
  /** Where to find them. */
  readonly typeRoots?: readonly string[];
  /** Include the DOM library (default true). */
  readonly dom?: boolean;
  /** Skip checking `.d.ts` files (default true). */
  readonly skipLibCheck?: boolean;
}

/** One problem TypeScript found. */
export interface TypecheckProblem {
  /** The file, when the problem is in one. */
  readonly file: string | undefined;
  /** Zero-based line, when known. */
  readonly line: number | undefined;
  /** The message, flattened. */
  readonly message: string;
}

/**
 * Type-checks `files` under strict settings with bundler resolution.
 *
 * @param files Absolute paths of the files to check.
 * @param options Types, DOM and lib-check settings.
 * @returns Every diagnostic, empty when the files type-check.
 */
export function typecheck(files: readonly string[], options: TypecheckOptions = {}): TypecheckProblem[] {
  const program = ts.createProgram([...files], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: options.dom === false ? ['lib.es2022.d.ts'] : ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [...(options.types ?? [])],
    ...(options.typeRoots === undefined ? {} : { typeRoots: [...options.typeRoots] }),
    skipLibCheck: options.skipLibCheck ?? true,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ({
    file: d.file?.fileName,
    line: d.file === undefined || d.start === undefined ? undefined : d.file.getLineAndCharacterOfPosition(d.start).line,
    message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  }));
}
