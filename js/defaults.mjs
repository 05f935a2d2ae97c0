// The rules a bundle gets when its config.json predates them (text.sentences and
// text.language_resolution): the Python runtime's defaults, yourtts_onnx.runtime.text.default_sentence_rules()
// and yourtts_onnx.runtime.languages.LanguageResolution(). tests/test_node_host.py checks that they are equal.
// Pure data: no Node-only API, so a browser build imports this module unchanged.

function abbreviations(never, beforeNumber, mayEnd, notInitials) {
  const words = (s) => (s ? s.split(' ') : []);
  return { never: words(never), before_number: words(beforeNumber), may_end: words(mayEnd), not_initials: words(notInitials) };
}

export const DEFAULT_SENTENCE_RULES = Object.freeze({
  max_tokens: 400,
  pause_seconds: 0.2,
  terminators: ".!?\u2026\u3002\uff01\uff1f",
  final_terminators: "!?\uff01\uff1f\u3002",
  ellipses: "\u2026",
  closers: "\"'\u201d\u2019\u00bb)]",
  spaced_closers: "\u00bb\u201d",
  openers: "\"'\u201c\u2018\u00ab([\u00bf\u00a1",
  clause_punctuation: ",;:",
  clause_dashes: "-\u2013\u2014",
  whitespace: "\t\n\u000b\f\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000",
  language_match: "primary_subtag",
  language_abbreviations: {
    en: abbreviations(
      "al approx ca capt cf col dept dr e.g est ft gen gov hon i.e jr lt messrs mr mrs ms mt mx pres prof rep rev sen sgt sr st viz vs",
      "apr art aug ch chap dec feb fig jan jul jun mar no nos nov nr oct p pp sec sep sept vol",
      "a.m co corp etc inc ltd p.m u.k u.s",
      "I",
    ),
    fr: abbreviations(
      "av bd cf dr env ex me mgr mlle mlles mm mme mmes p.ex pr st ste vs",
      "art avr chap d\u00e9c fig f\u00e9vr janv juil n no nov oct p pp sept vol",
      "cie etc",
      "",
    ),
    pt: abbreviations(
      "aprox av cf dr dra dras drs eng ex exma exmo p.ex prof profa profs sr sra sras srs srta srtas sta sto vs",
      "abr ago art cap dez fev fig jan jul jun mai mar n nov n\u00ba out p pag pp p\u00e1g set vol",
      "cia etc ltda",
      "",
    ),
  },
  default_abbreviations: abbreviations(
    "al approx aprox av bd ca capt cf col dept dr dra dras drs e.g eng env est ex exma exmo ft gen gov hon i.e jr lt me messrs mgr mlle mlles mm mme mmes mr mrs ms mt mx p.ex pr pres prof profa profs rep rev sen sgt sr sra sras srs srta srtas st sta ste sto viz vs",
    "abr ago apr art aug avr cap ch chap dec dez d\u00e9c feb fev fig f\u00e9vr jan janv juil jul jun mai mar n no nos nov nr n\u00ba oct out p pag pp p\u00e1g sec sep sept set vol",
    "a.m cia cie co corp etc inc ltd ltda p.m u.k u.s",
    "I",
  ),
});

export const DEFAULT_LANGUAGE_RESOLUTION = Object.freeze({normalize: ["trim", "lowercase", "underscore_to_hyphen"], match: ["exact", "normalized", "alias", "primary_subtag"], aliases: {}, preferred_default: "en"});
