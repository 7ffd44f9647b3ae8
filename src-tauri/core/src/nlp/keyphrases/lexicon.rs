//! Word lists for key-phrase extraction: English stop-words and contact-center filler.
//! All entries are lowercase, with ASCII apostrophes.

/// Speaker labels that start a turn (`Customer: ...`), with whether the speaker is the customer.
pub(super) const SPEAKER_LABELS: &[(&str, Speaker)] = &[
    ("customer", Speaker::Customer),
    ("caller", Speaker::Customer),
    ("client", Speaker::Customer),
    ("user", Speaker::Customer),
    ("agent", Speaker::Agent),
    ("rep", Speaker::Agent),
    ("representative", Speaker::Agent),
    ("advisor", Speaker::Agent),
    ("supervisor", Speaker::Agent),
    ("bot", Speaker::Agent),
    ("system", Speaker::Agent),
];

/// Who said a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Speaker {
    Customer,
    Agent,
    /// No label seen yet (plain text without `Customer:`/`Agent:` lines).
    Unknown,
}

/// Multi-word filler removed before candidate selection (each acts as a phrase boundary).
pub(super) const FILLER_PHRASES: &[&[&str]] = &[
    &["thank", "you", "for", "calling"],
    &["thanks", "for", "calling"],
    &["thank", "you", "for", "your", "patience"],
    &["thank", "you", "so", "much"],
    &["how", "can", "i", "help"],
    &["how", "may", "i", "help"],
    &["is", "there", "anything", "else"],
    &["have", "a", "great", "day"],
    &["have", "a", "good", "day"],
    &["let", "me", "check"],
    &["let", "me", "see"],
    &["let", "me", "look"],
    &["give", "me", "a", "second"],
    &["give", "me", "a", "moment"],
    &["bear", "with", "me"],
    &["one", "moment"],
    &["one", "second"],
    &["hold", "on"],
    &["you", "know"],
    &["i", "mean"],
    &["kind", "of"],
    &["sort", "of"],
    &["a", "little", "bit"],
    &["my", "name", "is"],
    &["speaking", "with"],
    &["i", "see"],
    &["no", "problem"],
    &["of", "course"],
];

/// Single-word stop-words and filler (never part of a candidate phrase).
pub(super) const STOP_WORDS: &[&str] = &[
    // filler and back-channel
    "um", "umm", "uh", "uhh", "uh-huh", "hmm", "mm", "mhm", "er", "ah", "oh", "okay", "ok", "yeah",
    "yep", "yes", "no", "nope", "right", "sure", "well", "like", "just", "really", "actually",
    "basically", "literally", "please", "thanks", "thank", "hi", "hello", "hey", "alright", "gonna",
    "wanna", "gotta", "sorry", "great", "perfect", "awesome", "cool", "fine", "good", "bye",
    "goodbye", "welcome", "appreciate", "sir", "ma'am", "madam", "mr", "mrs", "ms", "today",
    "now", "again", "still", "already", "anyway", "though", "maybe", "probably", "definitely",
    "certainly", "absolutely", "exactly", "totally", "pretty", "quite", "lot", "lots", "bit",
    "thing", "things", "stuff", "something", "anything", "everything", "nothing", "someone",
    "anyone", "everyone", "somebody", "way", "time", "day", "moment", "second", "minute",
    // light verbs common in calls
    "get", "gets", "getting", "got", "gotten", "want", "wants", "wanted", "need", "needs",
    "needed", "know", "knows", "knew", "see", "seeing", "saw", "seen", "let", "lets", "check",
    "checking", "think", "thought", "say", "says", "said", "tell", "told", "telling", "go",
    "goes", "going", "went", "gone", "make", "makes", "made", "try", "tried", "trying", "take",
    "took", "come", "came", "look", "looking", "looked", "help", "helping", "call", "calling",
    "called", "keep", "keeps", "kept", "put", "use", "using", "used", "give", "gave", "able",
    "happen", "happened", "happens", "seems", "seem", "mean", "means", "guess", "hope", "understand",
    // English function words
    "a", "an", "the", "and", "or", "but", "if", "then", "else", "so", "because", "as", "of", "at",
    "by", "for", "with", "about", "against", "between", "into", "through", "during", "before",
    "after", "above", "below", "to", "from", "up", "down", "in", "out", "on", "off", "over",
    "under", "further", "once", "here", "there", "when", "where", "why", "how", "all", "any",
    "both", "each", "few", "more", "most", "other", "some", "such", "only", "own", "same",
    "than", "too", "very", "can", "will", "would", "should", "could", "might", "must", "shall",
    "may", "i", "me", "my", "myself", "we", "our", "ours", "us", "you", "your", "yours",
    "yourself", "he", "him", "his", "she", "her", "hers", "it", "its", "itself", "they", "them",
    "their", "theirs", "what", "which", "who", "whom", "whose", "this", "that", "these",
    "those", "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had",
    "having", "do", "does", "did", "doing", "done", "not", "nor", "also", "even", "ever",
    "never", "always", "yet", "since", "until", "while", "per", "via", "one", "ones", "much",
    "many", "another", "again", "back", "i'm", "i've", "i'll", "i'd", "you're", "you've",
    "you'll", "you'd", "we're", "we've", "we'll", "they're", "it's", "that's", "there's",
    "what's", "let's", "don't", "doesn't", "didn't", "can't", "cannot", "won't", "wouldn't",
    "couldn't", "shouldn't", "isn't", "aren't", "wasn't", "weren't", "haven't", "hasn't",
    "hadn't", "ain't", "y'all", "there're", "here's", "how's", "where's", "who's",
];
