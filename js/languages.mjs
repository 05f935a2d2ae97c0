// Language-name resolution from config.json's text.language_resolution (docs/consumers.md §3.1; the
// reference is yourtts_onnx.runtime.languages in Python): "fr", "FR_fr", "pt", "en-US" -> a bundle language.
// Pure ES module: no Node-only API.

import { DEFAULT_SENTENCE_RULES } from './defaults.mjs';
import { stripChars } from './sentences.mjs';

export class LanguageError extends Error {}

// "trim" strips Python's whitespace (str.strip), which the sentence rules list.
const PYTHON_WHITESPACE = new Set(DEFAULT_SENTENCE_RULES.whitespace);

function normalized(name, rules) {
  for (const step of rules.normalize) {
    if (step === 'trim') name = stripChars(name, PYTHON_WHITESPACE);
    else if (step === 'lowercase') name = name.toLowerCase();
    else if (step === 'underscore_to_hyphen') name = name.replaceAll('_', '-');
    else throw new LanguageError(`config.json: text.language_resolution.normalize: unknown step ${JSON.stringify(step)}`);
  }
  return name;
}

/** The bundle language `requested` names by `rules`, or null when no strategy gives exactly one. */
export function findLanguage(requested, languages, rules) {
  const names = Object.keys(languages);
  const want = normalized(requested, rules);
  const primary = (name) => normalized(name, rules).split('-', 1)[0];
  for (const strategy of rules.match) {
    let found;
    if (strategy === 'exact') {
      found = Object.hasOwn(languages, requested) ? [requested] : [];
    } else if (strategy === 'normalized') {
      found = names.filter((n) => normalized(n, rules) === want);
    } else if (strategy === 'alias') {
      found = [];
      for (const [key, target] of Object.entries(rules.aliases)) {
        if (normalized(key, rules) === want) {
          if (!Object.hasOwn(languages, target)) {
            throw new LanguageError(
              `config.json: text.language_resolution.aliases.${key}: '${target}' is not a language of this bundle (known: ${names.join(', ')})`,
            );
          }
          found = [target];
          break;
        }
      }
    } else if (strategy === 'primary_subtag') {
      const want1 = want.split('-', 1)[0];
      found = names.filter((n) => primary(n) === want1);
    } else {
      throw new LanguageError(`config.json: text.language_resolution.match: unknown strategy ${JSON.stringify(strategy)}`);
    }
    if (found.length === 1) return found[0];
  }
  return null;
}

/** The language used when none is given: the only one, else rules.preferred_default resolved, else null. */
export function defaultLanguage(languages, rules) {
  const names = Object.keys(languages);
  if (names.length === 1) return names[0];
  if (rules.preferred_default === null) return null;
  return findLanguage(rules.preferred_default, languages, rules);
}

/** `{name, id}` for `requested` (undefined/null: the default language); unknown names throw LanguageError. */
export function resolveLanguage(requested, languages, rules) {
  const known = Object.keys(languages).join(', ');
  let name;
  if (requested === undefined || requested === null) {
    name = defaultLanguage(languages, rules);
    if (name === null) throw new LanguageError(`this model speaks several languages; choose one with --language (known: ${known})`);
  } else {
    if (typeof requested !== 'string' || stripChars(requested, PYTHON_WHITESPACE) === '') {
      throw new LanguageError(`language must be a non-empty string (known: ${known})`);
    }
    name = findLanguage(requested, languages, rules);
    if (name === null) throw new LanguageError(`unknown language '${requested}' (known: ${known})`);
  }
  return { name, id: languages[name] };
}
