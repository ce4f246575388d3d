use yew::prelude::*;

use crate::state::{Level, Notice};

/// Properties of [`NoticeBar`].
#[derive(Properties, PartialEq)]
pub(crate) struct NoticeProps {
    /// The message.
    pub notice: Notice,
    /// Dismisses it.
    pub on_dismiss: Callback<()>,
}

/// The latest message: a finished run, an import, an error.
#[component]
pub(crate) fn NoticeBar(props: &NoticeProps) -> Html {
    let (class, role) = match props.notice.level {
        Level::Info => ("notice info", "status"),
        Level::Error => ("notice error", "alert"),
    };
    let dismiss = props.on_dismiss.reform(|_: MouseEvent| ());
    html! {
        <div class={class} role={role} id="notice">
            <span>{ &props.notice.text }</span>
            <button type="button" class="link" onclick={dismiss} aria-label="Dismiss the message">
                { "Dismiss" }
            </button>
        </div>
    }
}
