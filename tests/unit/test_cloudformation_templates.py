"""CloudFormation's template reading on its own: YAML short forms become the long forms,
malformed JSON and YAML get AWS's format errors, and every TemplateURL style names its
bucket and key."""

from __future__ import annotations

import pytest

from lambdaport.errors import AwsError
from lambdaport.services.cloudformation.template_source import locate
from lambdaport.services.cloudformation.templates import check_template, parse_template

YAML = """
AWSTemplateFormatVersion: 2010-09-09
Conditions:
  Yes: !Equals [a, a]
  Both: !And [!Condition Yes, !Not [!Equals [a, b]]]
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      Name: !Sub "${AWS::StackName}-q"
      Arn: !GetAtt Child.Outputs.Arn
      List: !GetAtt [Q2, Arn]
      Ref: !Ref Other
      Picked: !Select [0, !GetAZs ""]
      B64: !Base64 text
"""


def test_yaml_short_forms_are_the_long_forms() -> None:
    template = parse_template(YAML)
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"  # not a date
    assert template["Conditions"]["Both"] == {
        "Fn::And": [{"Condition": "Yes"}, {"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}]
    }
    properties = template["Resources"]["Q"]["Properties"]
    assert properties == {
        "Name": {"Fn::Sub": "${AWS::StackName}-q"},
        "Arn": {"Fn::GetAtt": ["Child", "Outputs.Arn"]},
        "List": {"Fn::GetAtt": ["Q2", "Arn"]},
        "Ref": {"Ref": "Other"},
        "Picked": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
        "B64": {"Fn::Base64": "text"},
    }
    check_template(template)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"Resources": {', "Template format error: JSON not well-formed. (line 1, column 16)"),
        (
            "Resources:\n  Q: [unclosed\n",
            "Template format error: YAML not well-formed. (line 2, column 15)",
        ),
        (
            "Resources:\n  Q:\n    Type: X\n  Q:\n    Type: Y\n",
            "Template format error: YAML not well-formed. (line 4, column 3)",
        ),
    ],
)
def test_malformed_templates(body: str, message: str) -> None:
    with pytest.raises(AwsError) as raised:
        parse_template(body)
    assert (raised.value.code, raised.value.message) == ("ValidationError", message)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ({}, "Template format error: At least one Resources member must be defined."),
        (
            {"Resources": {}, "Extra": 1},
            "Template format error: Invalid template property or properties [Extra]",
        ),
        (
            {"Resources": {"Q": {}}},
            "Template format error: [/Resources/Q] Every Resources object must contain a Type "
            "member.",
        ),
        (
            {"AWSTemplateFormatVersion": "2011-01-01", "Resources": {"Q": {"Type": "T"}}},
            "Template format error: '2011-01-01' is not a valid template version",
        ),
        (
            {"Resources": {"Q": {"Type": "T"}}, "Outputs": {"O": {}}},
            "Template format error: [/Outputs/O] Every Outputs member must contain a Value object",
        ),
    ],
)
def test_structural_checks(template: dict[str, object], message: str) -> None:
    with pytest.raises(AwsError) as raised:
        check_template(template)
    assert raised.value.message == message


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/my.bucket/a/b%20c.yaml",
        "https://s3.eu-west-1.amazonaws.com/my.bucket/a/b%20c.yaml",
        "https://s3-eu-west-1.amazonaws.com/my.bucket/a/b%20c.yaml",
        "https://my.bucket.s3.amazonaws.com/a/b%20c.yaml",
        "https://my.bucket.s3.eu-west-1.amazonaws.com/a/b%20c.yaml",
        "https://my.bucket.s3-eu-west-1.amazonaws.com/a/b%20c.yaml",
        "http://127.0.0.1:4566/my.bucket/a/b%20c.yaml",
        "http://localhost:4566/my.bucket/a/b%20c.yaml",
        "http://my.bucket.s3.localhost.localstack.cloud:4566/a/b%20c.yaml",
    ],
)
def test_template_url_styles(url: str) -> None:
    assert locate(url) == ("my.bucket", "a/b c.yaml", None)


def test_template_url_version_and_refusal() -> None:
    assert locate("https://b.s3.amazonaws.com/k.json?versionId=v1") == ("b", "k.json", "v1")
    with pytest.raises(AwsError) as raised:
        locate("https://example.com/b/k")
    assert raised.value.message == "TemplateURL must be a supported URL."
