//! The console `jdy-member.exe` runs in on Windows: how it was started (a double-click
//! opens the import page), what its window says, and a progress bar it draws right.
//!
//! Text itself needs nothing of ours: Rust's standard output and error write to a Windows
//! console as UTF-16 (`WriteConsoleW`, so Chinese shows whatever the console's code page:
//! 936 on a Chinese Windows) and to a file or pipe as the UTF-8 given (`GetConsoleMode`
//! tells which), and indicatif's bar writes through them (console's `Term`). Every line of
//! the command line goes through `std::io::stdout`/`stderr`; nothing may write to the
//! console's handles another way.
//!
//! A console program started from Explorer gets a console of its own, made for it: it is
//! the only process attached to it (`GetConsoleProcessList`). From cmd.exe, PowerShell or
//! another program it shares theirs. So: alone and without arguments, it was
//! double-clicked: it runs `ui`, and a failure waits for Enter before the window closes
//! with its message. On Linux it is never alone, and nothing changes.

/// The console the program is attached to, as the start-up needs to know it.
pub trait Console {
    /// How many processes are attached to this process's console; None when it has none.
    fn processes(&self) -> Option<u32>;
}

/// This process's console.
pub struct System;

impl Console for System {
    #[cfg(windows)]
    fn processes(&self) -> Option<u32> {
        let mut ids = [0u32; 4];
        // SAFETY: the buffer and its length in elements are those of `ids`; the function
        // writes at most that many ids and returns how many processes there are (0: none,
        // or an error).
        let count = unsafe {
            windows_sys::Win32::System::Console::GetConsoleProcessList(
                ids.as_mut_ptr(),
                ids.len() as u32,
            )
        };
        (count > 0).then_some(count)
    }

    #[cfg(not(windows))]
    fn processes(&self) -> Option<u32> {
        None
    }
}

/// How the program was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Start {
    /// Without arguments, the only process on a console made for it: double-clicked in
    /// Explorer. It opens the import page, and its window closes when it ends.
    pub double_click: bool,
}

impl Start {
    /// `arguments`: how many the process got, its own name included. A program that starts
    /// `jdy-member.exe` with arguments is never taken for a double-click, even on a console
    /// of its own (a hidden one, say): it runs as ever and never waits for a key.
    pub fn of(arguments: usize, console: &impl Console) -> Start {
        Start {
            double_click: arguments <= 1 && console.processes() == Some(1),
        }
    }

    /// The command line a double-click stands for.
    pub const DOUBLE_CLICK: [&'static str; 2] = ["jdy-member", "ui"];

    /// Says in the window what the tool does and how it stops, and titles the window.
    pub fn welcome(&self) {
        set_title(TITLE);
        eprintln!("{WELCOME}");
    }

    /// After a double-click, keeps the window, which closes with the program, open until
    /// Enter, so that the failure printed above can be read.
    pub fn pause_if_double_clicked(&self) {
        if self.double_click {
            eprintln!("{PRESS_ENTER}");
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        }
    }
}

/// The window's title after a double-click.
const TITLE: &str = "jdy-member 会员导入（关闭此窗口即停止）";

/// What a double-clicked window says first; the page's address follows (`ui: http://...`).
const WELCOME: &str = "\
jdy-member 会员导入工具
正在用默认浏览器打开导入页面。若浏览器没有打开，请把下面 ui: 后面以 http://127.0.0.1 开头的
整个地址复制到浏览器（Chrome、Edge、360 等）的地址栏。
关闭这个窗口，工具就停止了；正在导入时请不要关闭（关闭后再次双击可以接着导入，不会重复保存）。";

/// Before a window that closes with the program closes on a failure.
const PRESS_ENTER: &str = "按回车键关闭此窗口。(Press Enter to close this window.)";

#[cfg(windows)]
fn set_title(title: &str) {
    let wide: Vec<u16> = title.encode_utf16().chain(std::iter::once(0)).collect();
    // SAFETY: `wide` is a NUL-terminated UTF-16 string that outlives the call.
    unsafe {
        windows_sys::Win32::System::Console::SetConsoleTitleW(wide.as_ptr());
    }
}

#[cfg(not(windows))]
fn set_title(_title: &str) {}

/// indicatif's bar in characters one cell wide on every console. A Chinese Windows console
/// draws every character that is two bytes in GBK two cells wide, the default bar's block
/// characters and a middle dot among them, while indicatif reckons them one cell: the line
/// outgrows the window, wraps, and each redraw leaves a line behind.
#[cfg(windows)]
pub const BAR: Bar = Bar {
    chars: "=>-",
    separator: ", ",
};
/// indicatif's bar: its own block characters.
#[cfg(not(windows))]
pub const BAR: Bar = Bar {
    chars: "█░",
    separator: " · ",
};

/// The characters of a progress bar and the separator between the parts of its line.
pub struct Bar {
    pub chars: &'static str,
    pub separator: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Attached(Option<u32>);

    impl Console for Attached {
        fn processes(&self) -> Option<u32> {
            self.0
        }
    }

    #[test]
    fn alone_on_a_console_without_arguments_is_a_double_click() {
        assert!(Start::of(1, &Attached(Some(1))).double_click);
    }

    #[test]
    fn arguments_or_a_shared_console_or_none_are_the_command_line_as_ever() {
        for (arguments, processes) in [
            (2, Some(1)),
            (1, Some(2)),
            (1, Some(3)),
            (2, Some(2)),
            (1, None),
            (2, None),
        ] {
            let start = Start::of(arguments, &Attached(processes));
            assert!(
                !start.double_click,
                "{arguments} arguments, {processes:?} processes"
            );
        }
    }

    #[test]
    fn the_double_click_command_line_parses_as_ui() {
        use clap::Parser;
        let cli = crate::args::Cli::try_parse_from(Start::DOUBLE_CLICK);
        assert!(matches!(
            cli.map(|c| c.command),
            Ok(crate::args::Command::Ui(_))
        ));
    }

    #[cfg(not(windows))]
    #[test]
    fn off_windows_the_process_is_never_alone() {
        assert_eq!(System.processes(), None);
        assert!(!Start::of(1, &System).double_click);
    }

    #[test]
    fn the_bar_is_drawn_in_characters_indicatif_can_use() {
        assert!(BAR.chars.chars().count() >= 2);
        assert!(indicatif::ProgressStyle::with_template("{bar:40}")
            .map(|s| s.progress_chars(BAR.chars))
            .is_ok());
        #[cfg(windows)]
        assert!(BAR.chars.is_ascii() && BAR.separator.is_ascii());
    }
}
