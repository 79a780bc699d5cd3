// Bounds on everything a page, a peer or a modified client can put into the shared state
// (docs/protocol.md, "Bounds"); cobrowse_widget/_schema.py holds the same numbers.

/** The longest URL shared: what common servers accept in a request line. */
export const MAX_URL = 8192;
/** History entries kept in the room; the oldest are dropped. */
export const MAX_HISTORY = 100;
/** A kept form result's id, as the proxy makes them. */
export const RESULT_ID = /^[A-Za-z0-9_-]{8,64}$/;
/** Strings inside a locator (id, attribute values). */
export const MAX_STRING = 512;
/** A locator's text fingerprint. */
export const MAX_TEXT = 200;
/** Steps in a locator's path from <body>, and a tag name's length. */
export const MAX_DEPTH = 128;
export const MAX_TAG = 64;
/** Remote pointers drawn at once, and a participant's name as drawn. */
export const MAX_POINTERS = 64;
export const MAX_NAME = 64;
/** A page title. */
export const MAX_TITLE = 512;

/** Form fields: the fields of one page shared, a field's key, a text field's length, the options
 * of a multiple select, and privacy selectors given from Python. */
export const MAX_FIELDS = 256;
export const MAX_FIELD_KEY = 512;
export const MAX_FRAMES = 16; // frames of a page whose fields are shared
export const MAX_FIELD_TEXT = 32768;
export const MAX_CHOICES = 256;
export const MAX_SELECTORS = 64;
export const MAX_SELECTOR = 512; // characters of a CSS selector from Python (a rule's, a highlight's)
/** A text selection's end: a character offset into its element's text. */
export const MAX_TEXT_OFFSET = 1 << 24;
/** Boxes one participant's selection is drawn with (a long one is cut there). */
export const MAX_SELECTION_BOXES = 256;

/** Notes pinned on a room's pages (strokes drawn count as notes), and the characters of one. */
export const MAX_NOTES = 200;
export const MAX_NOTE_TEXT = 500;
/** A tutorial step's title and text (cb.step), in characters. */
export const MAX_STEP_TITLE = 200;
export const MAX_STEP_TEXT = 2000;
/** A drawn stroke's points, and how far (CSS pixels) a point may lie from its start, as the width
 * of the element it starts on may reach. */
export const MAX_STROKE_POINTS = 256;
export const MAX_STROKE_SPAN = 10000;

/** A media element's shared position, in seconds (a week). */
export const MAX_MEDIA_TIME = 7 * 24 * 3600;

/** Sustained rate and burst of each kind of agent message the widget acts on (per second). */
export const RATES = {
  scroll: { rate: 30, burst: 30 },
  pointer: { rate: 60, burst: 60 },
  navigation: { rate: 3, burst: 6 }, // hello and navigated: loads and same-document moves
  field: { rate: 60, burst: 120 }, // edits of form fields (keystrokes), per page load
  click: { rate: 10, burst: 10 }, // clicks shown to the room
  selection: { rate: 10, burst: 10 }, // text selections shown to the room
  frame: { rate: 10, burst: 20 }, // frames of the page asking for a link (each load asks once)
  stroke: { rate: 5, burst: 10 }, // strokes drawn on the page
};

/** The attributes a locator carries, with the longest value of each: URLs and names may be long,
 * the rest are short words a page's author wrote (js/src/agent/locator.js compares them). */
export const LOCATOR_ATTRIBUTES = {
  name: MAX_STRING,
  "aria-label": MAX_STRING,
  href: MAX_STRING,
  src: MAX_STRING,
  "data-testid": MAX_TEXT,
  placeholder: MAX_TEXT,
  alt: MAX_TEXT,
  title: MAX_TEXT,
  for: MAX_TEXT,
  type: MAX_TEXT,
  role: MAX_TEXT,
};
