import { JWT_HEADER_END, JWT_RUN_SOURCE } from './rules';
import { FILTERED } from './types';

/**
 * Filters each JWT in a text (see JWT_RUN_SOURCE). A run that is not a header (`session` of
 * `session.<jwt>`) is passed over up to its dot only, and the search goes on from there, where the JWT
 * itself starts: each retry reads a few segments further, so the whole stays linear.
 */
export function compileJwtReplacer(): (text: string) => string {
  const jwtRe = new RegExp(JWT_RUN_SOURCE, 'g');
  return (text) => {
    let out = '';
    let last = 0;
    jwtRe.lastIndex = 0;
    for (let match = jwtRe.exec(text); match !== null; match = jwtRe.exec(text)) {
      const run = match[1];
      if (JWT_HEADER_END.test(run)) {
        out += text.slice(last, match.index) + FILTERED;
        last = jwtRe.lastIndex;
      } else {
        jwtRe.lastIndex = match.index + run.length + 1;
      }
    }
    return last === 0 ? text : out + text.slice(last);
  };
}
