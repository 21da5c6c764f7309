//! Structured logs: `tracing` events written as one JSON object per line to the console,
//! where Workers Logs and `wrangler tail` pick them up.

use std::io;
use std::sync::Once;

use tracing_subscriber::fmt::MakeWriter;

/// Installs the JSON subscriber, once per isolate; later calls do nothing.
///
/// It is called at the top of every entry point rather than from a start event, because
/// worker-build would install a start function on the entrypoint as one more RPC method.
pub(crate) fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(install);
}

fn install() {
    // Timestamps come from the platform's log pipeline; the subscriber's own clock would call
    // `SystemTime::now`, which wasm32 does not have.
    let _already_installed = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .without_time()
        .with_target(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(Console)
        .try_init();
}

struct Console;

impl<'a> MakeWriter<'a> for Console {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line(Vec::new())
    }
}

/// One log line, written to the console when the subscriber is done with it.
struct Line(Vec<u8>);

impl io::Write for Line {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let line = String::from_utf8_lossy(&self.0);
        let line = line.trim_end();
        if !line.is_empty() {
            worker::console_log!("{line}");
        }
    }
}
