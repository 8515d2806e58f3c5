// A small POSIX shell-words splitter, so a test can run a command mailguard printed exactly as a
// shell would read it, without a shell: blanks separate words; '...' is literal; "..." keeps
// blanks and takes \ before " \ $ ` and a newline; a \ outside quotes takes the next character.
// $'...' and expansions are refused: a printed command that needs them is a failure of its own.

export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new Error(`unclosed ' in ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      word ??= '';
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && '"\\$`\n'.includes(line[i + 1] ?? '')) i++;
        else if (line[i] === '$' || line[i] === '`') throw new Error(`expansion in ${line}`);
        word += line[i];
      }
      if (i >= line.length) throw new Error(`unclosed " in ${line}`);
    } else if (c === '\\') {
      word = (word ?? '') + (line[++i] ?? '');
    } else if ('$`*?[|&;<>(){}~#'.includes(c) && !(word !== undefined && c === '#')) {
      // Characters a shell would act on (globs, expansions, operators): a printed command quotes them.
      throw new Error(`unquoted ${c} in ${line}`);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
