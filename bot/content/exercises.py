"""The built-in exercise library: ready-to-run Customer Moments for any team meeting.

Every exercise fits in ten minutes or less and needs nothing but the people in the room (or on
the call). They are written for this product and cover the themes of the tag vocabulary: coaching
what people do rather than what the dashboard shows, giving unwelcome news gracefully, heading off
frustration before it starts, noticing good work, serving colleagues as well as customers, moving
lukewarm and unhappy customers, explaining rules, listening, owning a problem to the end, promising
only what can be kept, and escalating well.

The rotation falls back to this library when a team's own pool is empty, so a meeting never goes
without a moment. Keys are stable: featurings store them, so a key is never renamed or reused.
"""

from __future__ import annotations

from bot.domain.exercises import Exercise

LIBRARY: tuple[Exercise, ...] = (
    # --- coaching behaviour, not numbers -------------------------------------------------------
    Exercise(
        key="coach-the-conversation",
        title="Coach the conversation, not the clock",
        prompt=(
            "Pick one recent contact that ran far longer than average. Instead of asking why it took "
            "so long, work out together what the customer actually needed and what helped or slowed us."
        ),
        steps=(
            "Ask a volunteer to retell the contact in two minutes without mentioning its duration.",
            "List on a shared note everything the customer needed before they were satisfied.",
            "Mark which of those needs our tools, knowledge or rules made harder to meet.",
            "Agree on one obstacle worth raising with whoever owns it.",
        ),
        minutes=10,
        theme="coaching",
    ),
    Exercise(
        key="show-then-try",
        title="Show it first, then hand it over",
        prompt=(
            "A lead plays the agent and demonstrates how they would open a tricky conversation, then "
            "a teammate takes the same scenario in their own words. The team compares what made each "
            "version work."
        ),
        steps=(
            "Choose a scenario the team finds awkward, such as a customer who has called three times.",
            "Let the lead act the first ninety seconds while a teammate plays the customer.",
            "Swap so a teammate plays the agent with the same opening from the customer.",
            "Ask the person who played the customer which moments made them feel looked after.",
        ),
        minutes=10,
        theme="coaching",
        style="role play",
    ),
    Exercise(
        key="one-observable-behaviour",
        title="Feedback on one thing you could see",
        prompt=(
            "In pairs, each person describes one specific thing their partner did with a customer this "
            "week and what effect it had. No scores, no averages, only behaviour someone could have "
            "watched."
        ),
        steps=(
            "Pair people who worked the same queue or shared a case recently.",
            "Give each person two minutes to describe one action and what it changed for the customer.",
            "Invite two pairs to share the behaviour they named with the whole team.",
        ),
        minutes=7,
        theme="coaching",
    ),
    Exercise(
        key="caught-doing-it-right",
        title="Caught doing it right",
        prompt=(
            "Go around the room and name a colleague you saw handle a customer well since the last "
            "meeting, and say exactly what they did. The goal is to make good habits visible so they "
            "spread."
        ),
        steps=(
            "Give everyone one minute to think of a moment they witnessed, however small.",
            "Ask each person to name the colleague and describe the action in one or two sentences.",
            "Note the behaviours that came up more than once and thank the people behind them.",
        ),
        minutes=8,
        theme="coaching",
    ),
    # --- delivering bad news well ---------------------------------------------------------------
    Exercise(
        key="backordered-part",
        title="The part is three weeks away",
        prompt=(
            "A customer is waiting on a replacement part that was promised for Friday, and you have "
            "just learned it is back-ordered for three weeks. Play the call in which you tell them."
        ),
        steps=(
            "Have one person play the customer, who has already told their own boss it arrives Friday.",
            "Let the agent deliver the news, the reason and what happens next within three minutes.",
            "Run it a second time with a different agent and a customer who reacts with silence.",
            "Discuss which words kept trust intact and which ones sounded like excuses.",
        ),
        minutes=10,
        theme="bad-news",
        style="role play",
    ),
    Exercise(
        key="headline-first",
        title="Lead with the headline",
        prompt=(
            "When the news is bad, people often bury it under apologies and background. Take a real "
            "example and rebuild the message so the customer hears the news first, then why, then the "
            "next step."
        ),
        steps=(
            "Read out a recent message that carried unwelcome news, with customer details removed.",
            "Underline the sentence where the customer finally learns what happened.",
            "Rewrite the opening together so that sentence comes first and the plan follows right after.",
        ),
        minutes=7,
        theme="bad-news",
    ),
    Exercise(
        key="foggy-phrases",
        title="Clear the fog from bad-news phrases",
        prompt=(
            "Collect the stock phrases we reach for when something cannot be done, such as "
            "'at this time we are unable to'. Decide which ones hide the message and replace them with "
            "plain words."
        ),
        steps=(
            "Brainstorm for two minutes every phrase the team uses when saying no.",
            "Vote on the three that sound the most evasive to a customer.",
            "Write a plain, warm alternative for each of the three and keep them somewhere shared.",
        ),
        minutes=8,
        theme="bad-news",
    ),
    # --- upset customers ------------------------------------------------------------------------
    Exercise(
        key="boundary-without-threat",
        title="A boundary, not a threat",
        prompt=(
            "A caller is swearing because their account was locked during a busy week. Practise "
            "keeping the conversation going by naming the problem and the way forward, without warning "
            "them that you are allowed to end the call."
        ),
        steps=(
            "Have one person play the caller with strong but not abusive language.",
            "Let the agent acknowledge the frustration and steer toward what they can unlock right now.",
            "Replay it once with the agent using a warning, and ask the caller how each version felt.",
            "Agree on what our team actually does if the language becomes genuinely abusive.",
        ),
        minutes=10,
        theme="upset-customer",
        style="role play",
    ),
    Exercise(
        key="name-the-frustration",
        title="Name the frustration before the fix",
        prompt=(
            "An angry customer explains that a refund has taken five weeks. The agent may not offer any "
            "solution until they have described the customer's frustration back to them in their own "
            "words."
        ),
        steps=(
            "Let the customer vent for one minute while the agent only listens.",
            "Ask the agent to reflect what they heard, including how the delay affected the customer.",
            "Have the customer say whether they felt understood before the agent moves to the fix.",
        ),
        minutes=7,
        theme="upset-customer",
        style="role play",
    ),
    Exercise(
        key="goal-of-the-angry-call",
        title="What are we trying to win?",
        prompt=(
            "Discuss what success looks like on a call with a very upset customer. Is it getting them "
            "to calm down and cooperate, or showing them we are on their side and fixing the cause?"
        ),
        steps=(
            "Ask each person to write on a note how they would end the line 'An angry call went well when'.",
            "Group the answers into those about control and those about help.",
            "Discuss which group our scripts, rules and habits currently reward.",
        ),
        minutes=8,
        theme="upset-customer",
    ),
    # --- prevention -----------------------------------------------------------------------------
    Exercise(
        key="trace-it-upstream",
        title="Trace one complaint upstream",
        prompt=(
            "Take a single complaint from the last month and follow it backwards through every step the "
            "customer went through. Find the earliest point where a small change would have stopped it."
        ),
        steps=(
            "Pick a complaint that most of the team recognises.",
            "Sketch the customer's path from first contact to complaint as a row of boxes.",
            "Circle the earliest box where the trouble started and name who could change it.",
        ),
        minutes=10,
        theme="prevention",
    ),
    Exercise(
        key="next-weeks-anger",
        title="Next week's angry customers",
        prompt=(
            "Look at what is changing soon, such as a release, a price change or a holiday closure. "
            "Predict what will upset customers and decide what we can tell or do for them beforehand."
        ),
        steps=(
            "List the changes customers will notice in the next two weeks.",
            "For each one, imagine the first annoyed message we will receive and read it aloud.",
            "Choose one message, notice or tweak that would make that annoyed message unnecessary.",
        ),
        minutes=8,
        theme="prevention",
    ),
    Exercise(
        key="the-same-mistake-twice",
        title="The mistake we keep apologising for",
        prompt=(
            "Name the problem this team has apologised for most often lately. An apology repairs part of "
            "the damage at best, so talk about what it would take to stop it happening at all."
        ),
        steps=(
            "Ask everyone to write down the apology they have given most often this month.",
            "Find the one that appears on the most notes.",
            "Agree who will record each occurrence for two weeks so the cause can be shown to its owner.",
        ),
        minutes=8,
        theme="prevention",
    ),
    # --- internal customers ---------------------------------------------------------------------
    Exercise(
        key="who-we-serve-inside",
        title="Who are our customers inside the company?",
        prompt=(
            "Map the colleagues and teams who depend on us to do their own work. Talk about how they "
            "would describe the service they get from us."
        ),
        steps=(
            "Write our team in the middle of a page and draw every team that asks us for something.",
            "For each, guess what they would praise and what they would grumble about.",
            "Pick one internal team to ask directly before the next meeting.",
        ),
        minutes=8,
        theme="internal-customer",
    ),
    Exercise(
        key="email-me-later",
        title='"Email me about it later"',
        prompt=(
            "A field colleague brings a problem to a busy manager right before a deadline. Play it twice: "
            "once as a brush-off and once as the kind of help we would want them to pass on to customers."
        ),
        steps=(
            "Have one person play the colleague with a real but small problem.",
            "Let the manager answer while plainly distracted, then ask the colleague how it felt.",
            "Replay it with the manager giving one minute of full attention and a clear next step.",
            "Discuss how the way leaders treat staff shows up later in how staff treat customers.",
        ),
        minutes=10,
        theme="internal-customer",
        style="role play",
    ),
    Exercise(
        key="no-but-here-is-help",
        title="Saying no to a colleague, helpfully",
        prompt=(
            "Sometimes a colleague asks for something we truly cannot provide. Discuss how to decline so "
            "they still leave with a route forward and the sense that we wanted to help."
        ),
        steps=(
            "Share a recent internal request that had to be turned down.",
            "List what the colleague could have been offered instead: a contact, a workaround or a date.",
            "Write a two-sentence reply that declines and points to the best of those options.",
        ),
        minutes=7,
        theme="internal-customer",
    ),
    # --- NPS: promoters, passives, detractors ---------------------------------------------------
    Exercise(
        key="promoter-passive-detractor",
        title="One step up the score",
        prompt=(
            "Read three recent survey comments: one from a fan, one from a lukewarm customer and one from "
            "an unhappy one. For each, decide what would move that person one step higher."
        ),
        steps=(
            "Pick three anonymised comments with scores of about 10, 7 and 3.",
            "Give the team two minutes per comment to suggest what would lift that customer.",
            "Choose one suggestion the team can act on without asking anyone's permission.",
        ),
        minutes=10,
        theme="nps-turnaround",
    ),
    Exercise(
        key="call-back-a-detractor",
        title="Calling back a customer who scored us 2",
        prompt=(
            "A customer gave a score of 2 and wrote only 'never again'. Play the follow-up call, where "
            "the aim is to learn what happened and whether anything can still be put right."
        ),
        steps=(
            "Give the person playing the customer a private note describing what really went wrong.",
            "Let the agent open the call, ask open questions and avoid defending the company.",
            "Stop after four minutes and ask the customer what would have made them stay on the line.",
        ),
        minutes=8,
        theme="nps-turnaround",
        style="role play",
    ),
    Exercise(
        key="the-quiet-middle",
        title="The quiet middle",
        prompt=(
            "Customers who score us 7 or 8 rarely complain, so they are easy to overlook, yet a rival "
            "can tempt them away. Discuss what separates 'fine' from 'I would recommend them'."
        ),
        steps=(
            "Ask each person to recall a company they would call fine but not recommend, and why.",
            "Note the small things that would have turned each one into a recommendation.",
            "Translate the two most common into something our own customers could experience.",
        ),
        minutes=8,
        theme="nps-turnaround",
    ),
    # --- explaining policies --------------------------------------------------------------------
    Exercise(
        key="policy-in-one-sentence",
        title="The reason behind the rule, in one sentence",
        prompt=(
            "Pick a policy customers push back on often. Together, explain why it exists in one sentence "
            "a reasonable customer would accept, without the words 'policy' or 'system'."
        ),
        steps=(
            "Choose the rule that generated the most pushback in the past month.",
            "Let each person draft a one-sentence reason, then read them aloud.",
            "Combine the best parts into a shared sentence and check it with whoever owns the rule.",
        ),
        minutes=7,
        theme="policy",
    ),
    Exercise(
        key="refund-outside-the-window",
        title="Two days past the return window",
        prompt=(
            "A loyal customer wants a refund two days after the return period closed. Play the "
            "conversation in which the agent explains the rule honestly and still looks for what they can do."
        ),
        steps=(
            "Have the customer explain why the delay was not their fault.",
            "Let the agent explain the rule and its purpose, then offer every option they may give.",
            "Ask the group whether the agent sounded like a person or a rulebook, and why.",
        ),
        minutes=8,
        theme="policy",
        style="role play",
    ),
    Exercise(
        key="unwritten-rules",
        title="Our unwritten rules",
        prompt=(
            "Every team has habits nobody wrote down, like 'always promise a callback within a day'. "
            "List ours and ask which ones serve the customer and which only serve us."
        ),
        steps=(
            "Give everyone two minutes to write down habits we follow that are not in any handbook.",
            "Sort them into those that help customers and those that mainly protect our workload.",
            "Pick one rule from the second pile to question with the person who could change it.",
        ),
        minutes=8,
        theme="policy",
    ),
    # --- first impressions and listening --------------------------------------------------------
    Exercise(
        key="first-thirty-seconds",
        title="The first thirty seconds",
        prompt=(
            "Talk about what a customer hears, reads or sees in the opening half-minute of contact with "
            "us. What does that moment tell them about how the rest will go?"
        ),
        steps=(
            "Read out our standard greeting or first reply exactly as a customer receives it.",
            "Ask each person for one word describing how it would make them feel as the customer.",
            "Suggest one change that would make the opening warmer or faster without making it longer.",
        ),
        minutes=7,
        theme="listening",
    ),
    Exercise(
        key="paraphrase-relay",
        title="Say it back before you answer",
        prompt=(
            "A customer describes a muddled problem with several parts. The listener may not answer "
            "until they have summarised it well enough that the customer says 'yes, exactly'."
        ),
        steps=(
            "Give the customer a short card describing three separate complaints mixed together.",
            "Let the listener summarise, and let the customer correct them until the summary is complete.",
            "Count how many attempts it took and talk about what the listener missed first.",
        ),
        minutes=8,
        theme="listening",
        style="role play",
    ),
    Exercise(
        key="what-was-not-said",
        title="What the customer didn't say",
        prompt=(
            "Share a contact where the real need only surfaced late, or never did. Discuss the clues that "
            "were there from the start and the questions that would have uncovered them sooner."
        ),
        steps=(
            "Ask a volunteer to describe the request as the customer first phrased it.",
            "Reveal what the customer really needed in the end.",
            "List the early clues and one question that would have brought the real need out sooner.",
        ),
        minutes=8,
        theme="listening",
    ),
    # --- ownership and follow-up ----------------------------------------------------------------
    Exercise(
        key="not-my-department",
        title="It's not my department, but it's my customer",
        prompt=(
            "A customer reaches us with a billing problem that another team handles. Play the call in which "
            "the agent keeps ownership of the customer while the other team fixes the problem."
        ),
        steps=(
            "Let the customer explain the billing issue and mention being transferred twice already.",
            "Have the agent tell the customer who will handle it, when, and how the agent will check on it.",
            "Discuss what the agent must do after the call so the promise holds.",
        ),
        minutes=8,
        theme="ownership",
        style="role play",
    ),
    Exercise(
        key="a-name-and-a-time",
        title="Every hand-off gets a name and a time",
        prompt=(
            "When work passes from one person to another, customers often lose track of who has it. "
            "Discuss a simple team habit for hand-offs that always tells the customer who and when."
        ),
        steps=(
            "Recall the last case that changed hands and what the customer was told at that moment.",
            "Write down the minimum a customer should hear at every hand-off.",
            "Agree whether to try that minimum as a team rule for the next month.",
        ),
        minutes=7,
        theme="ownership",
    ),
    Exercise(
        key="they-can-walk-away",
        title="Nobody has to choose us",
        prompt=(
            "Customers owe us nothing and can take their business elsewhere at any moment. Discuss where "
            "our service quietly assumes they will stay no matter what."
        ),
        steps=(
            "List the alternatives a customer has if they stop using us tomorrow.",
            "Name one moment in our process where we make the customer do the work to stay.",
            "Decide who on the team will take that moment on as theirs to improve.",
        ),
        minutes=8,
        theme="ownership",
    ),
    Exercise(
        key="close-the-loop",
        title="Close the loop",
        prompt=(
            "Think of promises to get back to someone that slipped through the cracks. Discuss what makes "
            "a follow-up message genuinely useful rather than just polite."
        ),
        steps=(
            "Ask how many people have a follow-up they promised and have not yet sent, without naming names.",
            "List what a good follow-up contains, such as what changed, what is next and when.",
            "Give everyone one minute to put their outstanding follow-ups in the calendar.",
        ),
        minutes=7,
        theme="follow-up",
    ),
    Exercise(
        key="the-check-in-call",
        title="The call they didn't expect",
        prompt=(
            "A week after an issue was fixed, the agent calls to check that everything still works. Play the "
            "call and notice how the customer reacts to being remembered."
        ),
        steps=(
            "Let the person playing the customer decide privately whether the fix has held.",
            "Have the agent open the call and find out how things are going without a script.",
            "Discuss what the check-in revealed that a closed ticket never would have.",
        ),
        minutes=7,
        theme="follow-up",
        style="role play",
    ),
    # --- setting expectations -------------------------------------------------------------------
    Exercise(
        key="promise-what-you-control",
        title="Promise only what you control",
        prompt=(
            "Customers remember the time we gave them, not the reasons it slipped. Discuss how to give an "
            "estimate that is honest about what depends on us and what does not."
        ),
        steps=(
            "Share a recent case where a promised time was missed and what caused the miss.",
            "Separate the steps we control from the ones that depend on others.",
            "Rewrite the original promise so it is still helpful but no longer risky.",
        ),
        minutes=7,
        theme="expectations",
    ),
    Exercise(
        key="same-day-fix",
        title='"I need this fixed today"',
        prompt=(
            "A customer insists a fault must be fixed today, but the realistic answer is three working days. "
            "Play the conversation that resets the expectation without losing the customer's goodwill."
        ),
        steps=(
            "Let the customer explain why today matters to them.",
            "Have the agent give the honest timeline and look for anything that eases the wait.",
            "Ask the customer which sentence made the longer wait easier to accept.",
        ),
        minutes=8,
        theme="expectations",
        style="role play",
    ),
    # --- escalation -----------------------------------------------------------------------------
    Exercise(
        key="now-or-tomorrow",
        title="Help now, or call back tomorrow?",
        prompt=(
            "When an agent brings an escalated case to a lead, the lead can step in right away or take a "
            "message for later. Discuss what each choice costs the customer and the agent."
        ),
        steps=(
            "Describe one escalation where the lead joined at once and one that got a callback.",
            "List the effects of each on the customer, the agent and the number of contacts needed.",
            "Agree on what our leads should do when an escalated customer is still on the line.",
        ),
        minutes=8,
        theme="escalation",
    ),
    Exercise(
        key="warm-handover",
        title="The warm handover",
        prompt=(
            "An agent has reached the limit of what they can do and brings in a senior colleague. Play the "
            "handover so the customer never has to repeat their story."
        ),
        steps=(
            "Have the agent summarise the case to the senior colleague while the customer listens.",
            "Let the customer correct anything that is missing or wrong in the summary.",
            "Ask the customer how confident they feel that the new person has the whole picture.",
        ),
        minutes=7,
        theme="escalation",
        style="role play",
    ),
    Exercise(
        key="when-to-escalate",
        title="When should this go up a level?",
        prompt=(
            "Escalating too late leaves customers stuck, while escalating too early overloads the people "
            "above us. Agree on the signals that mean it is time to bring someone in."
        ),
        steps=(
            "Share one case that was escalated too late and one that did not need escalating.",
            "List the signals present in each at the start.",
            "Turn the clearest signals into a short checklist the team can try for a month.",
        ),
        minutes=8,
        theme="escalation",
    ),
    # --- first contact resolution ---------------------------------------------------------------
    Exercise(
        key="why-a-second-contact",
        title="Why did they have to come back?",
        prompt=(
            "Pick a few cases that needed a second or third contact. Discuss what would have let us settle "
            "each one the first time."
        ),
        steps=(
            "Choose three repeat contacts from the past fortnight.",
            "For each, name the missing piece: information, permission, a tool or time.",
            "Pick the missing piece that would help most often and name who can provide it.",
        ),
        minutes=8,
        theme="first-contact-resolution",
    ),
    Exercise(
        key="what-we-are-allowed-to-do",
        title="What are you allowed to do?",
        prompt=(
            "Customers leave unsolved when the person talking to them lacks the authority to act. Compare "
            "what each of us believes we may decide alone, and find the gaps."
        ),
        steps=(
            "Ask everyone to note the largest credit or exception they believe they may grant alone.",
            "Compare the answers and notice where they disagree.",
            "Agree who will find out the real limits and share them before the next meeting.",
        ),
        minutes=7,
        theme="first-contact-resolution",
    ),
    # --- personal touch -------------------------------------------------------------------------
    Exercise(
        key="why-they-buy",
        title="Why do they buy from us?",
        prompt=(
            "Choose one real customer and describe why they chose us, how they use what we provide and what "
            "a bad day with us costs them. See how much of that the whole team already knew."
        ),
        steps=(
            "Let the person who knows the customer best describe them in two minutes.",
            "Ask the rest of the team what surprised them.",
            "Decide where that knowledge should live so the next person who talks to them has it.",
        ),
        minutes=8,
        theme="personal-touch",
    ),
    Exercise(
        key="not-a-ticket-number",
        title="A person, not a ticket number",
        prompt=(
            "A long-standing customer calls with a routine request. Play it once strictly by the book and "
            "once drawing on what you know about them, then compare how each felt."
        ),
        steps=(
            "Give the person playing the customer a short history that the agent can look up.",
            "Run the call by the book first, then again using the customer's history.",
            "Ask the customer which version made them feel like an individual, and what exactly did it.",
        ),
        minutes=8,
        theme="personal-touch",
        style="role play",
    ),
)

_BY_KEY: dict[str, Exercise] = {exercise.key: exercise for exercise in LIBRARY}


def by_key(key: str) -> Exercise | None:
    """The library exercise with this key, or ``None`` when there is none."""
    return _BY_KEY.get(key)
