"""The yardstick of the browser column (bench/first_load.py): a bare Streamlit app of two
pages, each one plotly bar chart, so a click in its navigation costs only Streamlit's own
round trip and a chart's drawing, on the same machine in the same run."""

import plotly.graph_objects as go
import streamlit as st


def chart(name: str) -> None:
    st.title(name)
    st.plotly_chart(go.Figure(go.Bar(x=["a", "b", "c"], y=[3, 1, 2])), key=name)


st.navigation(
    [
        st.Page(lambda: chart("甲"), title="甲", url_path="a"),
        st.Page(lambda: chart("乙"), title="乙", url_path="b"),
    ]
).run()
