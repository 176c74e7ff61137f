//! indymilter wiring only: each callback hands over to `Session` and maps its answer.

use std::ffi::{CStr, CString};
use std::sync::Arc;

use indymilter::{
    ActionError, Actions, Callbacks, Context, ContextActions, EomContext, MacroStage, Macros,
    NegotiateContext, ProtoOpts, SetErrorReply, Status,
};
use tracing::error;

use super::session::{ANNOTATION_HEADER, Answer, Edits, HeaderChanges, Session, StageMacros};
use super::smime::{AR_HEADER, DECRYPTED_HEADER, Disposition, Job, Plan, SubjectTag};
use crate::runtime::Shared;

/// Macros we ask Postfix/Sendmail for, per stage.
const MAIL_MACROS: &CStr = c"i {daemon_name} {auth_authen}";
const LATER_MACROS: &CStr = c"i";

pub fn build(shared: Arc<Shared>) -> Callbacks<Session> {
    Callbacks::new()
        .on_negotiate(move |cx, offered, _opts| {
            negotiate(cx, offered, &shared);
            Box::pin(async { Status::Continue })
        })
        .on_mail(|cx, args| {
            Box::pin(async move {
                let answer = match session(cx) {
                    Some((s, m)) => Some(s.mail(first_arg(&args).as_deref(), m).await),
                    None => None,
                };
                reply(cx, answer)
            })
        })
        .on_rcpt(|cx, args| {
            Box::pin(async move {
                let answer = match session(cx) {
                    Some((s, m)) => Some(s.rcpt(first_arg(&args).as_deref(), m).await),
                    None => None,
                };
                reply(cx, answer)
            })
        })
        .on_data(|_cx| Box::pin(async { Status::Continue }))
        .on_header(|cx, name, value| {
            let answer = cx
                .data
                .as_mut()
                .map(|s| s.header(&name.to_string_lossy(), &value.to_string_lossy()));
            Box::pin(async move { reply(cx, answer) })
        })
        .on_body(|cx, chunk| {
            let answer = cx.data.as_mut().map(|s| s.body(&chunk));
            Box::pin(async move { reply(cx, answer) })
        })
        .on_eoh(|cx| {
            Box::pin(async move {
                let answer = match session(cx) {
                    Some((s, m)) => Some(s.end_of_headers(m).await),
                    None => None,
                };
                reply(cx, answer)
            })
        })
        .on_eom(|cx| {
            let timer = crate::metrics::EomTimer::start();
            let changes = match cx.data.as_mut() {
                Some(s) => Some(s.end_of_message(stage_macros(&cx.macros))),
                None => None,
            };
            Box::pin(async move {
                let _timer = timer;
                match changes {
                    Some((changes, job)) => end_of_message(cx, changes, job).await,
                    None => tempfail(&mut cx.reply, "internal error"),
                }
            })
        })
        .on_abort(|cx| {
            if let Some(s) = cx.data.as_mut() {
                s.abort();
            }
            Box::pin(async { Status::Continue })
        })
        .on_close(|cx| {
            cx.data = None;
            Box::pin(async { Status::Continue })
        })
}

/// Asks for the stages, edits and macros the configuration needs, and starts the session.
fn negotiate(cx: &mut NegotiateContext<Session>, offered: Actions, shared: &Arc<Shared>) {
    let runtime = shared.snapshot();
    // S/MIME verification needs the whole message: headers and body.
    let smime_on = runtime.smime.is_some();
    let wants_headers = runtime.policies.wants_headers() || smime_on;
    // Only the stages our features need: a body stream costs Postfix ~22 % throughput.
    // DATA stays on: without it Postfix's unanswered DATA macros stall each message ~40 ms
    // over TCP (Nagle + delayed ACK).
    let mut opts = ProtoOpts::NO_CONNECT | ProtoOpts::NO_HELO | ProtoOpts::NO_UNKNOWN;
    if !wants_headers {
        opts |= ProtoOpts::NO_HEADER | ProtoOpts::NO_EOH;
    }
    if !smime_on {
        opts |= ProtoOpts::NO_BODY;
    }
    cx.requested_opts = opts;
    // Only the edits the configuration can use, and only those the MTA offers (asking for
    // more ends the connection with no word of why); a missing one is said here and makes
    // every transaction a tempfail (Session::mail).
    let need = Edits::needed(&runtime);
    let granted = Edits {
        add_header: need.add_header && offered.contains(Actions::ADD_HEADER),
        change_header: need.change_header && offered.contains(Actions::CHANGE_HEADER),
        quarantine: need.quarantine && offered.contains(Actions::QUARANTINE),
        replace_body: need.replace_body && offered.contains(Actions::REPLACE_BODY),
    };
    let missing = granted.missing(need);
    if !missing.is_empty() {
        error!(missing = %missing.join(", "), "the MTA does not offer message changes the settings need; mail on this connection is temp-failed");
    }
    let mut actions = Actions::empty();
    for (on, action) in [
        (granted.add_header, Actions::ADD_HEADER),
        (granted.change_header, Actions::CHANGE_HEADER),
        (granted.quarantine, Actions::QUARANTINE),
        (granted.replace_body, Actions::REPLACE_BODY),
    ] {
        if on {
            actions |= action;
        }
    }
    cx.requested_actions = actions;
    cx.requested_macros
        .insert(MacroStage::Mail, MAIL_MACROS.into());
    for stage in [
        MacroStage::Rcpt,
        MacroStage::Data,
        MacroStage::Eoh,
        MacroStage::Eom,
    ] {
        cx.requested_macros.insert(stage, LATER_MACROS.into());
    }
    cx.data = Some(Session::new(
        shared.clone(),
        wants_headers,
        smime_on,
        granted,
    ));
}

/// Verifies (off the connection tasks), applies the header edits, then the disposition.
/// An edit the MTA refuses temp-fails the message: never delivered half-changed.
async fn end_of_message(
    cx: &mut EomContext<Session>,
    changes: HeaderChanges,
    job: Option<Job>,
) -> Status {
    let plan = match job {
        // Verification is CPU work: keep it off the connection tasks.
        Some(job) => match tokio::task::spawn_blocking(move || job.run()).await {
            Ok(plan) => Some(plan),
            Err(e) => {
                error!(error = %e, "smime verification failed");
                return tempfail(&mut cx.reply, "internal error");
            }
        },
        None => None,
    };
    let mut edited = match &plan {
        Some(plan) => apply_smime_headers(&cx.actions, plan).await,
        None => Ok(()),
    };
    if edited.is_ok() {
        edited = apply_annotations(&cx.actions, changes).await;
    }
    if let Err(e) = edited {
        error!(error = %e.error, "{}", e.what);
        return tempfail(&mut cx.reply, "internal error");
    }
    match plan.map(|p| p.disposition) {
        None | Some(Disposition::Continue) => Status::Continue,
        Some(Disposition::Quarantine(reason)) => match cx.actions.quarantine(reason).await {
            Ok(()) => Status::Continue,
            Err(e) => {
                error!(error = %e, "cannot quarantine");
                tempfail(&mut cx.reply, "internal error")
            }
        },
        Some(Disposition::Reject { code, xcode, line }) => {
            match cx.reply.set_error_reply(code, Some(xcode), [line]) {
                Ok(()) => Status::Reject,
                Err(_) => tempfail(&mut cx.reply, "internal error"),
            }
        }
        Some(Disposition::Tempfail { line }) => {
            let _ = cx.reply.set_error_reply("451", Some("4.7.5"), [line]);
            Status::Tempfail
        }
    }
}

/// An edit the MTA refused, and what it was (for the log line).
struct EditFailed {
    what: &'static str,
    error: ActionError,
}

fn failed(what: &'static str) -> impl FnOnce(ActionError) -> EditFailed {
    move |error| EditFailed { what, error }
}

/// Our annotation replaces any that came in.
async fn apply_annotations(
    actions: &impl ContextActions,
    changes: HeaderChanges,
) -> Result<(), EditFailed> {
    for index in changes.delete {
        let none = None::<CString>;
        actions
            .change_header(ANNOTATION_HEADER, index, none)
            .await
            .map_err(failed("cannot delete header"))?;
    }
    for (name, value) in changes.add {
        actions
            .add_header(name, value)
            .await
            .map_err(failed("cannot add header"))?;
    }
    Ok(())
}

/// Removes forged Authentication-Results, inserts ours at the top, delivers the decrypted
/// form, tags the Subject.
async fn apply_smime_headers(actions: &impl ContextActions, plan: &Plan) -> Result<(), EditFailed> {
    for index in &plan.delete_ar {
        actions
            .change_header(AR_HEADER, *index, None::<CString>)
            .await
            .map_err(failed("cannot delete header"))?;
    }
    if let Some(value) = &plan.insert_ar {
        actions
            .insert_header(0, AR_HEADER, value.as_str())
            .await
            .map_err(failed("cannot insert header"))?;
    }
    for index in &plan.delete_decrypted {
        actions
            .change_header(DECRYPTED_HEADER, *index, None::<CString>)
            .await
            .map_err(failed("cannot delete header"))?;
    }
    if let Some(r) = &plan.replace {
        // The decrypted entity's MIME headers replace the message's, then its body.
        for (name, value) in &r.headers {
            actions
                .change_header(*name, 1, value.as_deref())
                .await
                .map_err(failed("cannot replace header"))?;
        }
        actions
            .add_header(DECRYPTED_HEADER, r.note.as_str())
            .await
            .map_err(failed("cannot add header"))?;
        actions
            .replace_body(&r.body)
            .await
            .map_err(failed("cannot replace the body"))?;
    }
    match &plan.subject {
        None => {}
        Some(SubjectTag::Add(subject)) => actions
            .add_header("Subject", subject.as_str())
            .await
            .map_err(failed("cannot tag the subject"))?,
        Some(SubjectTag::Replace(subjects)) => {
            for (index, subject) in (1..).zip(subjects) {
                actions
                    .change_header("Subject", index, Some(subject.as_str()))
                    .await
                    .map_err(failed("cannot tag the subject"))?;
            }
        }
    }
    Ok(())
}

fn session(cx: &mut Context<Session>) -> Option<(&mut Session, StageMacros<'_>)> {
    let macros = stage_macros(&cx.macros);
    cx.data.as_mut().map(|s| (s, macros))
}

/// The macros we asked for (MAIL_MACROS, LATER_MACROS), borrowed unless not UTF-8.
fn stage_macros(m: &Macros) -> StageMacros<'_> {
    let get = |name: &CStr| {
        m.get(name)
            .map(|v| v.to_string_lossy())
            .filter(|v| !v.is_empty())
    };
    StageMacros {
        queue_id: get(c"i"),
        daemon_name: get(c"{daemon_name}"),
        auth_user: get(c"{auth_authen}"),
    }
}

fn first_arg(args: &[CString]) -> Option<String> {
    args.first().map(|a| a.to_string_lossy().into_owned())
}

/// `None` (no session: negotiation did not run) is an internal error, so a tempfail.
fn reply(cx: &mut Context<Session>, answer: Option<Answer>) -> Status {
    match answer {
        Some(Answer::Continue) => Status::Continue,
        Some(Answer::Reject { code, xcode, lines }) => {
            match cx.reply.set_error_reply(code, Some(xcode), lines) {
                Ok(()) => Status::Reject,
                Err(e) => {
                    error!(error = %e, "cannot set reply text");
                    tempfail(&mut cx.reply, "internal error")
                }
            }
        }
        Some(Answer::Tempfail { reason }) => tempfail(&mut cx.reply, reason),
        None => {
            error!("milter stage without a session");
            tempfail(&mut cx.reply, "internal error")
        }
    }
}

fn tempfail(reply: &mut impl SetErrorReply, reason: &str) -> Status {
    let _ = reply.set_error_reply(
        "451",
        Some("4.3.0"),
        [format!("mailwarden: {reason}, try again later")],
    );
    Status::Tempfail
}
