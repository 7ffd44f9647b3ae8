//! Desktop notifications for cards that arrive while the window is hidden, rate-limited so a burst makes one toast.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// At most one notification per this interval; cards arriving in between are counted into the next one.
pub const MIN_INTERVAL: Duration = Duration::from_secs(20);

/// Rate limiter: decides whether to notify now and how many cards the notification covers.
#[derive(Debug, Default)]
pub struct RateLimiter {
    last_shown: Option<Instant>,
    waiting: usize,
}

impl RateLimiter {
    /// Records `new` cards at `now`; returns `Some(count)` when a notification for `count` cards should show.
    pub fn on_cards(&mut self, new: usize, now: Instant) -> Option<usize> {
        self.waiting += new;
        if self.waiting == 0 {
            return None;
        }
        let due = self
            .last_shown
            .is_none_or(|last| now.duration_since(last) >= MIN_INTERVAL);
        if !due {
            return None;
        }
        self.last_shown = Some(now);
        Some(std::mem::take(&mut self.waiting))
    }
}

/// Thread-safe wrapper kept in the shell state.
#[derive(Debug, Default)]
pub struct NotificationGate(Mutex<RateLimiter>);

impl NotificationGate {
    /// See [`RateLimiter::on_cards`]; a poisoned lock suppresses the notification.
    pub fn on_cards(&self, new: usize) -> Option<usize> {
        self.0.lock().ok()?.on_cards(new, Instant::now())
    }
}

/// Title and body of the notification for `count` new cards, the newest titled `title`. The title is untrusted
/// (knowledge-base text) and notification daemons may render the body as markup, so it is escaped.
pub fn notification_text(count: usize, title: &str) -> (String, String) {
    let title = escape_markup(title);
    if count <= 1 {
        ("New suggestion".to_owned(), title)
    } else {
        (
            format!("{count} new suggestions"),
            format!("Latest: {title}"),
        )
    }
}

/// `&`, `<` and `>` as entities: the body markup of the freedesktop notification spec (and daemons that render
/// Pango or HTML) then shows them as text.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Shows the notification (desktop only; failures are logged, never fatal).
pub fn show<R: tauri::Runtime>(app: &tauri::AppHandle<R>, count: usize, title: &str) {
    use tauri_plugin_notification::NotificationExt;
    let (heading, body) = notification_text(count, title);
    if let Err(error) = app
        .notification()
        .builder()
        .title(heading)
        .body(body)
        .show()
    {
        tracing::warn!(%error, "could not show a desktop notification");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_makes_one_notification_and_the_rest_are_counted_later() {
        let mut limiter = RateLimiter::default();
        assert_eq!(limiter.on_cards(1, Instant::now()), Some(1));
        assert_eq!(limiter.on_cards(1, Instant::now()), None);
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(limiter.on_cards(1, Instant::now()), None);
        tokio::time::advance(MIN_INTERVAL).await;
        assert_eq!(limiter.on_cards(1, Instant::now()), Some(3));
    }

    /// Regression: the first batch of several cards used to be counted card by card, and the notification that
    /// the first card earned was discarded, so a demo's opening burst showed nothing.
    #[tokio::test(start_paused = true)]
    async fn a_first_batch_of_several_cards_notifies_once_for_all_of_them() {
        let mut limiter = RateLimiter::default();
        assert_eq!(limiter.on_cards(4, Instant::now()), Some(4));
        assert_eq!(limiter.on_cards(2, Instant::now()), None);
        assert_eq!(limiter.on_cards(0, Instant::now()), None);
        tokio::time::advance(MIN_INTERVAL).await;
        assert_eq!(limiter.on_cards(1, Instant::now()), Some(3));
    }

    #[test]
    fn text_for_one_and_many() {
        assert_eq!(notification_text(1, "Reset").1, "Reset");
        assert_eq!(notification_text(3, "Reset").0, "3 new suggestions");
    }

    #[test]
    fn notification_body_escapes_markup() {
        let title = r#"<b>Reset</b> & <a href="https://evil.example">click</a> <img src=x>"#;
        let escaped = "&lt;b&gt;Reset&lt;/b&gt; &amp; &lt;a href=\"https://evil.example\"&gt;click&lt;/a&gt; &lt;img src=x&gt;";
        assert_eq!(notification_text(1, title).1, escaped);
        assert_eq!(notification_text(2, title).1, format!("Latest: {escaped}"));
        assert_eq!(notification_text(1, "A &amp; B").1, "A &amp;amp; B");
        for count in [1, 2] {
            let (heading, body) = notification_text(count, title);
            assert!(!body.contains(['<', '>']) && !heading.contains(['<', '>']));
        }
    }
}
