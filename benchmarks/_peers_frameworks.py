"""The plain-Python floor and the peer frameworks, each with its own idiomatic scripted model.

Every builder returns a :class:`Harness` or raises ``ImportError`` when the peer is not installed
(install them with ``uv sync --group bench --inexact``). No network: every model is a local script.
"""

from __future__ import annotations

from typing import Any

from _peers_common import (
    CALLS,
    FINAL_ANSWER,
    PROMPT,
    STEPS,
    AddArgs,
    Harness,
    add,
    check_outputs,
    openai_tool_call,
    package_version,
)


class _Counter:
    """The scripted models' step counter (reset before each episode, outside the timed region)."""

    def __init__(self) -> None:
        self.step = 0

    def reset(self) -> None:
        self.step = 0

    def next(self) -> int:
        step = self.step
        self.step += 1
        if step >= STEPS:
            raise AssertionError(f"scripted model called {step + 1} times; the script has {STEPS}")
        return step


# --------------------------------------------------------------------------- floor


def build_floor() -> Harness:
    """A plain loop: look up the tool, validate arguments with Pydantic, call it, record a dict."""
    tools = {"add": (add, AddArgs)}
    script = [openai_tool_call(i) for i in range(STEPS - 1)]
    script.append({"content": FINAL_ANSWER, "tool_calls": None})

    def episode() -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for index, output in enumerate(script):
            calls = output["tool_calls"]
            if not calls:
                records.append({"step": index, "final_answer": output["content"]})
                break
            for call in calls:
                function = call["function"]
                fn, model = tools[function["name"]]
                args = model.model_validate(function["arguments"], strict=True)
                result = fn(args.a, args.b)
                records.append({"step": index, "call_id": call["id"], "output": result})
        return records

    def check(records: list[dict[str, Any]]) -> None:
        check_outputs("floor", [r["output"] for r in records[:-1]], records[-1]["final_answer"])

    return Harness("floor (plain Python + Pydantic)", episode, check)


# --------------------------------------------------------------------------- smolagents


def build_smolagents() -> Harness:
    """ToolCallingAgent + a Model subclass returning ChatMessage tool calls, then final_answer."""
    from smolagents import ChatMessage, Model, ToolCallingAgent, tool
    from smolagents.models import ChatMessageToolCall, ChatMessageToolCallFunction, MessageRole
    from smolagents.monitoring import LogLevel

    counter = _Counter()

    class ScriptedModel(Model):
        def generate(self, messages: Any, **kwargs: Any) -> ChatMessage:
            step = counter.next()
            if step < STEPS - 1:
                a, b = CALLS[step]
                name, arguments = "add", {"a": a, "b": b}
            else:
                name, arguments = "final_answer", {"answer": FINAL_ANSWER}
            call = ChatMessageToolCall(
                function=ChatMessageToolCallFunction(name=name, arguments=arguments),
                id=f"call_{step}",
                type="function",
            )
            return ChatMessage(role=MessageRole.ASSISTANT, content="", tool_calls=[call])

    add_tool = tool(add)
    agent = ToolCallingAgent(
        tools=[add_tool],
        model=ScriptedModel(model_id="scripted"),
        max_steps=STEPS + 2,
        verbosity_level=LogLevel.OFF,
    )

    def episode() -> Any:
        return agent.run(PROMPT)

    def check(answer: Any) -> None:
        outputs = [s.observations for s in agent.memory.steps if getattr(s, "tool_calls", None)][
            : STEPS - 1
        ]
        check_outputs("smolagents", outputs, answer)

    return Harness(
        "smolagents ToolCallingAgent",
        episode,
        check,
        counter.reset,
        {"smolagents": package_version("smolagents")},
    )


# --------------------------------------------------------------------------- pydantic-ai


def build_pydantic_ai() -> Harness:
    """Agent with a FunctionModel returning ToolCallPart responses, then a TextPart."""
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    counter = _Counter()

    async def scripted(messages: list[Any], info: AgentInfo) -> ModelResponse:
        step = counter.next()
        if step < STEPS - 1:
            a, b = CALLS[step]
            part = ToolCallPart("add", {"a": a, "b": b}, tool_call_id=f"call_{step}")
            return ModelResponse(parts=[part])
        return ModelResponse(parts=[TextPart(FINAL_ANSWER)])

    agent = Agent(FunctionModel(scripted, model_name="scripted"), output_type=str)
    agent.tool_plain(add)

    async def episode() -> Any:
        return await agent.run(PROMPT)

    def check(result: Any) -> None:
        outputs = [
            part.content
            for message in result.all_messages()
            for part in message.parts
            if isinstance(part, ToolReturnPart)
        ]
        check_outputs("pydantic-ai", outputs, result.output)

    return Harness(
        "pydantic-ai Agent (FunctionModel)",
        episode,
        check,
        counter.reset,
        {"pydantic-ai-slim": package_version("pydantic-ai-slim")},
    )


# --------------------------------------------------------------------------- openai-agents


def build_openai_agents() -> Harness:
    """Agent with a hand-written fake Model (get_response), Runner.run, tracing disabled."""
    from agents import Agent, Runner, function_tool, set_tracing_disabled
    from agents.items import ModelResponse, ToolCallOutputItem
    from agents.models.interface import Model
    from agents.usage import Usage
    from openai.types.responses import (
        ResponseFunctionToolCall,
        ResponseOutputMessage,
        ResponseOutputText,
    )

    set_tracing_disabled(True)
    counter = _Counter()

    class ScriptedModel(Model):
        async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
            step = counter.next()
            item: Any
            if step < STEPS - 1:
                a, b = CALLS[step]
                item = ResponseFunctionToolCall(
                    id=f"fc_{step}",
                    call_id=f"call_{step}",
                    type="function_call",
                    name="add",
                    arguments=f'{{"a":{a},"b":{b}}}',
                )
            else:
                text = ResponseOutputText(
                    text=FINAL_ANSWER, type="output_text", annotations=[], logprobs=[]
                )
                item = ResponseOutputMessage(
                    id="msg_final",
                    type="message",
                    role="assistant",
                    status="completed",
                    content=[text],
                )
            return ModelResponse(output=[item], usage=Usage(), response_id=None)

        def stream_response(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError("the benchmark does not stream")

    agent = Agent(name="bench", model=ScriptedModel(), tools=[function_tool(add)])

    async def episode() -> Any:
        return await Runner.run(agent, PROMPT, max_turns=STEPS + 2)

    def check(result: Any) -> None:
        outputs = [i.output for i in result.new_items if isinstance(i, ToolCallOutputItem)]
        check_outputs("openai-agents", outputs, result.final_output)

    return Harness(
        "openai-agents Runner (fake Model)",
        episode,
        check,
        counter.reset,
        {"openai-agents": package_version("openai-agents")},
    )


# --------------------------------------------------------------------------- langgraph


def build_langgraph() -> Harness:
    """StateGraph: a scripted model node (AIMessage tool calls), a ToolNode, tools_condition."""
    from typing import Annotated, TypedDict

    from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
    from langchain_core.tools import tool
    from langgraph.graph import END, START, StateGraph
    from langgraph.graph.message import add_messages
    from langgraph.prebuilt import ToolNode, tools_condition

    # functional syntax: the class form's annotations would be strings (future import) that
    # langgraph resolves in this module's globals, where these lazily imported names are absent
    State = TypedDict("State", {"messages": Annotated[list[AnyMessage], add_messages]})  # noqa: UP013

    counter = _Counter()

    def model(state: Any) -> dict[str, list[AnyMessage]]:
        step = counter.next()
        if step < STEPS - 1:
            a, b = CALLS[step]
            call = {"name": "add", "args": {"a": a, "b": b}, "id": f"call_{step}"}
            return {"messages": [AIMessage(content="", tool_calls=[call])]}
        return {"messages": [AIMessage(content=FINAL_ANSWER)]}

    graph = StateGraph(State)
    graph.add_node("model", model)
    graph.add_node("tools", ToolNode([tool(add)]))
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", tools_condition, {"tools": "tools", END: END})
    graph.add_edge("tools", "model")
    app = graph.compile()
    config: Any = {"recursion_limit": 4 * STEPS}

    def episode() -> Any:
        return app.invoke({"messages": [HumanMessage(PROMPT)]}, config)

    def check(state: Any) -> None:
        messages = state["messages"]
        outputs = [m.content for m in messages if isinstance(m, ToolMessage)]
        check_outputs("langgraph", outputs, messages[-1].content)

    return Harness(
        "langgraph StateGraph + ToolNode",
        episode,
        check,
        counter.reset,
        {
            "langgraph": package_version("langgraph"),
            "langchain-core": package_version("langchain-core"),
        },
    )


PEERS = {
    "smolagents": build_smolagents,
    "pydantic-ai": build_pydantic_ai,
    "openai-agents": build_openai_agents,
    "langgraph": build_langgraph,
}
