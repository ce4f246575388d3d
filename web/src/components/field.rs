use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Properties of [`TextField`].
#[derive(Properties, PartialEq)]
pub(crate) struct TextFieldProps {
    /// The input's id (also the prefix of its help and error ids).
    pub id: AttrValue,
    /// The label.
    pub label: AttrValue,
    /// The help text under the input.
    pub help: AttrValue,
    /// The value as typed.
    pub value: AttrValue,
    /// What is wrong with it, if anything.
    #[prop_or_default]
    pub error: Option<String>,
    /// The virtual keyboard to offer (`numeric`, `decimal`, `text`).
    #[prop_or(AttrValue::Static("numeric"))]
    pub inputmode: AttrValue,
    /// Whether the input is read-only for now.
    #[prop_or_default]
    pub disabled: bool,
    /// Called with the new text on every edit.
    pub on_input: Callback<String>,
}

/// A labelled text input with its help text and, when invalid, its error inline.
#[component]
pub(crate) fn TextField(props: &TextFieldProps) -> Html {
    let oninput = props
        .on_input
        .reform(|e: InputEvent| e.target_unchecked_into::<HtmlInputElement>().value());
    let help_id = format!("{}-help", props.id);
    let error_id = format!("{}-error", props.id);
    let described = if props.error.is_some() {
        format!("{error_id} {help_id}")
    } else {
        help_id.clone()
    };
    html! {
        <div class={classes!("field", props.error.is_some().then_some("invalid"))}>
            <label for={&props.id}>{ &props.label }</label>
            <input
                id={&props.id}
                name={&props.id}
                type="text"
                inputmode={&props.inputmode}
                autocomplete="off"
                spellcheck="false"
                value={&props.value}
                disabled={props.disabled}
                aria-invalid={if props.error.is_some() { "true" } else { "false" }}
                aria-describedby={described}
                {oninput}
            />
            if let Some(error) = &props.error {
                <p class="error" id={error_id}>{ error }</p>
            }
            <p class="help" id={help_id}>{ &props.help }</p>
        </div>
    }
}
